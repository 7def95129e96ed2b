// The whole service over real loopback HTTP: Okta's side of the contract, with a fake 8x8 behind it.
import assert from "node:assert/strict";
import { MAX_BODY_BYTES } from "../../src/okta/telephony_hook.ts";
import { oktaRequest, PREVIEW_OTP, PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { actionOf, PREVIOUS_SECRET, SECRET, withService } from "../support/service.ts";

Deno.test("[hook http] Okta's verbatim preview sample makes exactly one correct 8x8 call and answers SUCCESSFUL", () =>
  withService({}, async (service) => {
    const action = await actionOf(await service.post(PREVIEW_SAMPLE_TEXT));
    assert.equal(service.fake.requests.length, 1);
    const call = service.fake.requests[0]!;
    assert.deepEqual(call.violations, []);
    assert.deepEqual(call.body, {
      source: "Acme",
      destination: "+9876543210",
      text: "(HOOK)Your code is 11111",
      encoding: "AUTO",
      clientMessageId: "uS5871kJThSsU8qlA1LTcg",
      expiry: "2022-01-28T21:48:34.321Z",
    });
    assert.equal(action.status, "SUCCESSFUL");
    assert.equal(action.provider, "8x8");
    assert.match(action.transactionId, /^[0-9a-f-]{36}$/);
  }));

Deno.test("[hook http] a +E.164 number with spaces is normalised before it reaches 8x8", () =>
  withService({}, async (service) => {
    const action = await actionOf(
      await service.post(JSON.stringify(oktaRequest({ phoneNumber: "+1 415 555 2671" }))),
    );
    assert.equal(action.status, "SUCCESSFUL");
    assert.equal(service.fake.requests.length, 1);
    assert.equal((service.fake.requests[0]!.body as { destination: string }).destination, "+14155552671");
  }));

Deno.test("[hook http] the previous secret still works during a rotation", () =>
  withService({}, async (service) => {
    const action = await actionOf(
      await service.post(PREVIEW_SAMPLE_TEXT, { authorization: PREVIOUS_SECRET }),
    );
    assert.equal(action.status, "SUCCESSFUL");
  }));

Deno.test("[hook http] a wrong or missing secret gets a JSON 401 and 8x8 is never called", async (t) => {
  await withService({}, async (service) => {
    const cases: [string, Record<string, string>][] = [
      ["wrong secret", { authorization: "okta-hook-secret-current-0000" }],
      ["secret with a suffix", { authorization: `${SECRET}x` }],
      ["secret prefix only", { authorization: SECRET.slice(0, -1) }],
      ["empty secret", { authorization: "" }],
      ["secret in another header", { authorization: "", "x-okta-secret": SECRET }],
    ];
    for (const [name, headers] of cases) {
      await t.step(name, async () => {
        const response = await service.post(PREVIEW_SAMPLE_TEXT, headers);
        assert.equal(response.status, 401);
        assert.equal((await response.json()).error.errorCode, "unauthorized");
      });
    }
    await t.step("no header at all", async () => {
      const response = await fetch(`${service.url}/telephony-hook`, {
        method: "POST",
        body: PREVIEW_SAMPLE_TEXT,
      });
      assert.equal(response.status, 401);
      await response.body?.cancel();
    });
    assert.equal(service.fake.requests.length, 0);
  });
});

Deno.test("[hook http] unreadable requests get JSON 4xx answers and the service keeps serving", async (t) => {
  await withService({}, async (service) => {
    const cases: [string, () => Promise<Response>, number, string][] = [
      ["malformed JSON", () => service.post('{"eventId": '), 400, "invalid_json"],
      ["invalid UTF-8", () => service.post(new Uint8Array([0x7b, 0xff, 0x7d])), 400, "invalid_json"],
      ["missing fields", () => service.post(JSON.stringify({ eventId: "e" })), 400, "invalid_request"],
      [
        "wrong types",
        () => service.post(JSON.stringify(oktaRequest({ otpCode: 11111 }))),
        400,
        "invalid_request",
      ],
      [
        "no messageProfile",
        () => service.post(JSON.stringify({ ...oktaRequest(), data: {} })),
        400,
        "invalid_request",
      ],
      ["empty body", () => service.post(""), 400, "invalid_json"],
      [
        "text/plain",
        () => service.post(PREVIEW_SAMPLE_TEXT, { "content-type": "text/plain" }),
        415,
        "unsupported_media_type",
      ],
      ["declared too large", () => service.post("x".repeat(MAX_BODY_BYTES + 1)), 413, "payload_too_large"],
      ["streamed too large", () => service.post(chunkedBody(16)), 413, "payload_too_large"],
      ["GET on the hook", () => fetch(`${service.url}/telephony-hook`), 405, "method_not_allowed"],
      ["unknown path", () => fetch(`${service.url}/admin`), 404, "not_found"],
    ];
    for (const [name, send, status, code] of cases) {
      await t.step(name, async () => {
        const response = await send();
        assert.equal(response.status, status);
        assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
        const text = await response.text();
        assert.equal(JSON.parse(text).error.errorCode, code);
        assert.ok(!text.includes(PREVIEW_OTP), "an error answer must not echo the OTP");
        // The next good request is still served.
        assert.equal((await actionOf(await service.post(PREVIEW_SAMPLE_TEXT))).status, "SUCCESSFUL");
      });
    }
  });
});

Deno.test("[hook http] a 400 names the invalid fields", () =>
  withService({}, async (service) => {
    const response = await service.post(JSON.stringify(oktaRequest({ phoneNumber: 42, otpCode: undefined })));
    const { error } = await response.json();
    assert.deepEqual(error.errorCauses.map((cause: { location: string }) => cause.location), [
      "data.messageProfile.phoneNumber",
      "data.messageProfile.otpCode",
    ]);
    assert.equal(service.fake.requests.length, 0);
  }));

Deno.test("[hook http] 405 names the allowed method", () =>
  withService({}, async (service) => {
    const response = await fetch(`${service.url}/telephony-hook`, { method: "PUT", body: "{}" });
    assert.equal(response.headers.get("allow"), "POST");
    await response.body?.cancel();
  }));

Deno.test("[hook http] every 8x8 failure is a 200 with a valid FAILED answer naming the reason", async (t) => {
  await withService({}, async (service) => {
    const cases = [
      ["invalid_msisdn", "invalid_phone_number"],
      ["unauthenticated", "provider_auth_failed"],
      ["server_error", "provider_unavailable"],
      ["rejected", "provider_rejected"],
      ["rate_limited", "provider_rate_limited"],
    ] as const;
    for (const [scenario, reason] of cases) {
      await t.step(scenario, async () => {
        service.fake.answerWith(scenario);
        const action = await actionOf(await service.post(JSON.stringify(oktaRequest({}, `evt-${scenario}`))));
        assert.equal(action.status, "FAILED");
        assert.equal(action.provider, "8x8");
        assert.equal(action.transactionId, `evt-${scenario}`);
        assert.match(action.transactionMetadata, new RegExp(`^reason=${reason}`));
      });
    }
  });
});

Deno.test("[hook http] an unusable number, and voice without voice settings, fail without calling 8x8", async (t) => {
  await withService({}, async (service) => {
    const cases = [
      [{ phoneNumber: "12" }, "reason=invalid_phone_number"],
      [{ phoneNumber: "call me maybe" }, "reason=invalid_phone_number"],
      [{ deliveryChannel: "voice call" }, "reason=channel_not_configured"],
    ] as const;
    for (const [index, [changes, metadata]] of cases.entries()) {
      await t.step(metadata, async () => {
        const eventId = `evt-unusable-${index}`;
        const action = await actionOf(await service.post(JSON.stringify(oktaRequest(changes, eventId))));
        assert.equal(action.status, "FAILED");
        assert.equal(action.transactionMetadata, metadata);
      });
    }
    assert.equal(service.fake.requests.length, 0);
  });
});

Deno.test("[hook http] GET /healthz reports the version and the mode", () =>
  withService({}, async (service) => {
    const response = await fetch(`${service.url}/healthz`);
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.status, "ok");
    assert.equal(body.mode, "8x8");
    assert.match(body.version, /^\d+\.\d+\.\d+/);
  }));

Deno.test("[hook http] one log line per hook, with masked destination and no personal data", () =>
  withService({}, async (service) => {
    await actionOf(
      await service.post(JSON.stringify(oktaRequest({ phoneNumber: "+14155552671" }, "evt-log"))),
    );
    const hooks = service.logLines.map((line) => JSON.parse(line)).filter((line) => line.event === "hook");
    assert.equal(hooks.length, 1);
    const { time, durationMs, transactionId, ...rest } = hooks[0];
    assert.match(time, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(typeof durationMs, "number");
    assert.match(transactionId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(rest, {
      level: "info",
      event: "hook",
      eventId: "evt-log",
      requestType: "com.okta.user.telephony.pre-enrollment",
      channel: "sms",
      destination: "+1******2671",
      outcome: "delivered",
      provider: "8x8",
    });
    const all = service.logLines.join("\n");
    for (const secret of [PREVIEW_OTP, "4155552671", SECRET, service.fake.apiKey, "Your code is"]) {
      assert.ok(!all.includes(secret), `a log line holds ${secret}`);
    }
  }));

// A chunked body with no declared length, four times the limit.
function chunkedBody(chunks: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(" ".repeat(MAX_BODY_BYTES / 4));
  let left = chunks;
  return new ReadableStream({
    pull: (controller) => left-- > 0 ? controller.enqueue(chunk) : controller.close(),
  });
}
