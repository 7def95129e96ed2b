import assert from "node:assert/strict";
import { createEightByEightVoice } from "../../src/eight_by_eight/voice_caller.ts";
import { voiceProfileFor, voiceText } from "../../src/eight_by_eight/voice_script.ts";
import type { VoiceCall } from "../../src/domain/ports.ts";
import { type Fake8x8, withFake8x8 } from "../fakes/fake_8x8.ts";
import { testDeadline } from "../support/fakes.ts";
import { oktaRequest } from "../support/okta_requests.ts";
import { type RunningService, VOICE_SOURCE, withService } from "../support/service.ts";

const CALL: VoiceCall = {
  eventId: "evt-voice",
  to: { e164: "+6591234567", countryCallingCode: "65", regionCode: "SG", valid: true, type: "MOBILE" },
  otpCode: "424242",
  locale: "EN-US",
  expiresAt: new Date("2030-01-28T21:48:34.321Z"),
};

function callerFor(fake: Fake8x8) {
  return createEightByEightVoice({
    baseUrl: fake.url,
    subaccountId: fake.voiceSubaccountId,
    apiKey: fake.apiKey,
    source: VOICE_SOURCE,
    defaultProfile: "en-US-Standard-A",
    retry: { maxAttempts: 1 },
  });
}

Deno.test("[voice script] Okta's locale picks the voice profile through the table, else the default", async (t) => {
  const cases: [string | undefined, string][] = [
    ["EN-US", "en-US-Jenny"],
    ["en", "en-US-Jenny"],
    ["en_GB", "en-GB-Emma"],
    ["en-AU", "en-US-Jenny"], // the language alone
    ["DA-DK", "da-DK-Naja"],
    ["fr-FR", "fallback-Profile"],
    [undefined, "fallback-Profile"],
  ];
  for (const [locale, profile] of cases) {
    await t.step(String(locale), () => assert.equal(voiceProfileFor(locale, "fallback-Profile"), profile));
  }
});

Deno.test("[voice script] every digit is spoken on its own, twice, in the voice's language", () => {
  assert.equal(
    voiceText("424242", "en-US-Jenny"),
    "Your verification code is: 4, 2, 4, 2, 4, 2. I repeat: 4, 2, 4, 2, 4, 2.",
  );
  assert.equal(
    voiceText("11111", "da-DK-Naja"),
    "Din bekræftelseskode er: 1, 1, 1, 1, 1. Jeg gentager: 1, 1, 1, 1, 1.",
  );
  assert.equal(voiceText("a1", "fr-FR-Denise"), "Your verification code is: A, 1. I repeat: A, 1.");
});

Deno.test("[8x8 voice] one callflow: makeCall first, then say the code, then hang up; SUCCESSFUL with the sessionId", () =>
  withFake8x8(async (fake) => {
    const delivery = await callerFor(fake).call(CALL, testDeadline());
    assert.equal(fake.requests.length, 1);
    const request = fake.requests[0]!;
    assert.equal(request.api, "voice");
    assert.equal(request.path, `/api/v1/subaccounts/${fake.voiceSubaccountId}/callflows`);
    assert.deepEqual(request.violations, []);
    assert.deepEqual(request.body, {
      validUntil: "2030-01-28T21:48:34.321Z",
      callflow: [
        { action: "makeCall", params: { source: VOICE_SOURCE, destination: "+6591234567" } },
        {
          action: "say",
          params: {
            text: "Your verification code is: 4, 2, 4, 2, 4, 2. I repeat: 4, 2, 4, 2, 4, 2.",
            voiceProfile: "en-US-Jenny",
            repetition: 1,
          },
        },
        { action: "hangup" },
      ],
    });
    assert.equal(delivery.outcome, "delivered");
    assert.match(delivery.outcome === "delivered" ? delivery.transactionId : "", /^[0-9a-f-]{36}$/);
    assert.deepEqual(delivery.metadata, { status: "CREATED", code: "1" });
  }));

Deno.test("[8x8 voice] every documented voice error becomes a failed result with a stable reason", async (t) => {
  const cases = [
    ["voice_bad_profile", "provider_misconfigured", "-1002"],
    ["voice_caller_id", "provider_misconfigured", "-1014"],
    ["voice_bad_destination", "invalid_phone_number", "-1017"],
    ["unauthenticated", "provider_auth_failed", "401"],
    ["server_error", "provider_unavailable", "500"],
  ] as const;
  await withFake8x8(async (fake) => {
    for (const [scenario, reason, code] of cases) {
      await t.step(scenario, async () => {
        fake.answerWith(scenario);
        const delivery = await callerFor(fake).call(CALL, testDeadline());
        assert.equal(delivery.outcome, "failed");
        assert.equal(delivery.outcome === "failed" && delivery.reason, reason);
        assert.equal(delivery.metadata.code, code);
        assert.match(delivery.metadata.errorId ?? "", /^[0-9a-f-]{36}$/, "8x8's callFlowRequestId is kept");
      });
    }
  });
});

Deno.test("[8x8 voice] gateway answers are unknown and not retried; a 503 is retried", async (t) => {
  await t.step("502", () =>
    withFake8x8(async (fake) => {
      fake.answerWith("bad_gateway");
      const delivery = await callerFor(fake).call(CALL, testDeadline());
      assert.equal(delivery.outcome === "unknown" && delivery.reason, "gateway_error");
    }));
  await t.step("503 once", () =>
    withFake8x8(async (fake) => {
      fake.answerNext("unavailable");
      const caller = createEightByEightVoice({
        baseUrl: fake.url,
        subaccountId: fake.voiceSubaccountId,
        apiKey: fake.apiKey,
        source: VOICE_SOURCE,
        defaultProfile: "en-US-Jenny",
        retry: { random: () => 0 },
      });
      assert.equal((await caller.call(CALL, testDeadline())).outcome, "delivered");
      assert.equal(fake.requests.length, 2);
    }));
});

function withVoiceService(test: (service: RunningService) => Promise<void>): Promise<void> {
  return withService({ voice: true }, test);
}

Deno.test("[voice hook] voice call, Voice and CALL each make exactly one callflow, and no SMS", async (t) => {
  await withVoiceService(async (service) => {
    for (const deliveryChannel of ["voice call", "Voice", "CALL"]) {
      await t.step(deliveryChannel, async () => {
        const before = service.fake.requests.length;
        const body = oktaRequest(
          { deliveryChannel, phoneNumber: "+6591234567" },
          `evt-${deliveryChannel.replace(" ", "-")}`,
        );
        const response = await service.post(JSON.stringify(body));
        const action = (await response.json()).commands[0].value[0];
        const calls = service.fake.requests.slice(before);
        assert.deepEqual(calls.map((call) => call.api), ["voice"]);
        assert.deepEqual(calls[0]!.violations, []);
        const callflow =
          (calls[0]!.body as { callflow: { action: string; params: Record<string, string> }[] }).callflow;
        assert.equal(callflow[0]!.action, "makeCall");
        assert.equal(callflow[0]!.params.destination, "+6591234567");
        assert.match(callflow[1]!.params.text!, /1, 1, 1, 1, 1/);
        assert.equal(action.status, "SUCCESSFUL");
        assert.equal(action.provider, "8x8");
        assert.match(action.transactionId, /^[0-9a-f-]{36}$/);
      });
    }
    assert.equal(service.fake.requests.filter((request) => request.api === "sms").length, 0);
  });
});

Deno.test("[voice hook] voice errors answer FAILED; a repeated voice eventId calls once", () =>
  withVoiceService(async (service) => {
    service.fake.answerWith("voice_caller_id");
    const failed = await service.post(
      JSON.stringify(oktaRequest({ deliveryChannel: "voice call" }, "evt-v-fail")),
    );
    const action = (await failed.json()).commands[0].value[0];
    assert.equal(action.status, "FAILED");
    assert.match(action.transactionMetadata, /^reason=provider_misconfigured, httpStatus=400, code=-1014/);

    service.fake.answerWith("queued");
    const body = JSON.stringify(oktaRequest({ deliveryChannel: "voice call" }, "evt-v-twice"));
    const first = await (await service.post(body)).json();
    const second = await (await service.post(body)).json();
    assert.deepEqual(second, first);
    assert.equal(service.fake.requests.length, 2);
  }));
