import assert from "node:assert/strict";
import { createEightByEightSms } from "../../src/adapters/outbound/eight_by_eight/sms_sender.ts";
import type { SmsMessage } from "../../src/domain/ports.ts";
import { type Fake8x8, startFake8x8 } from "../fakes/fake_8x8.ts";
import { testDeadline } from "../support/fakes.ts";

const MESSAGE: SmsMessage = {
  eventId: "uS5871kJThSsU8qlA1LTcg",
  to: { e164: "+6591234567", countryCallingCode: "65" },
  text: "Your code is 424242",
  expiresAt: new Date("2030-01-28T21:48:34.321Z"),
};

async function withFake(test: (fake: Fake8x8) => Promise<void>): Promise<void> {
  const fake = startFake8x8();
  try {
    await test(fake);
  } finally {
    await fake.close();
  }
}

function senderFor(fake: Fake8x8, apiKey = fake.apiKey) {
  return createEightByEightSms({
    baseUrl: `${fake.url}/`,
    subaccountId: fake.subaccountId,
    apiKey,
    source: "Acme",
  });
}

Deno.test("[8x8 sms] a queued message is delivered, and the call matches 8x8's published schema", () =>
  withFake(async (fake) => {
    const delivery = await senderFor(fake).send(MESSAGE, testDeadline());
    assert.equal(fake.requests.length, 1);
    const request = fake.requests[0]!;
    assert.deepEqual(request.violations, []);
    assert.equal(request.path, `/api/v1/subaccounts/${fake.subaccountId}/messages`);
    assert.equal(request.headers.get("authorization"), `Bearer ${fake.apiKey}`);
    assert.deepEqual(request.body, {
      source: "Acme",
      destination: "+6591234567",
      text: "Your code is 424242",
      encoding: "AUTO",
      clientMessageId: "uS5871kJThSsU8qlA1LTcg",
      expiry: "2030-01-28T21:48:34.321Z",
    });
    assert.equal(delivery.outcome, "delivered");
    assert.equal(delivery.provider, "8x8");
    assert.match(delivery.transactionId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(delivery.metadata, { status: "QUEUED", encoding: "GSM7" });
  }));

Deno.test("[8x8 sms] every documented failure becomes a failed result with a stable reason and 8x8's detail", async (t) => {
  const cases = [
    { scenario: "rejected", reason: "provider_rejected", detail: { status: "REJECTED" } },
    {
      scenario: "invalid_msisdn",
      reason: "invalid_phone_number",
      detail: { httpStatus: "400", code: "1002" },
    },
    {
      scenario: "unauthenticated",
      reason: "provider_auth_failed",
      detail: { httpStatus: "401", code: "1200" },
    },
    {
      scenario: "rate_limited",
      reason: "provider_rate_limited",
      detail: { httpStatus: "429", code: "429", retryAfter: "1" },
    },
    { scenario: "server_error", reason: "provider_unavailable", detail: { httpStatus: "500", code: "2000" } },
    { scenario: "tls_required", reason: "provider_rejected", detail: { httpStatus: "426", code: "1014" } },
  ] as const;
  await withFake(async (fake) => {
    for (const { scenario, reason, detail } of cases) {
      await t.step(scenario, async () => {
        fake.answerWith(scenario);
        const delivery = await senderFor(fake).send(MESSAGE, testDeadline());
        assert.equal(delivery.outcome, "failed");
        assert.equal(delivery.reason, reason);
        assert.equal(delivery.provider, "8x8");
        for (const [key, value] of Object.entries(detail)) assert.equal(delivery.metadata[key], value, key);
        if (delivery.metadata.httpStatus !== undefined) {
          assert.match(delivery.metadata.errorId ?? "", /^[0-9a-f-]{36}$/);
          assert.ok((delivery.metadata.message ?? "").length > 0);
        }
      });
    }
  });
});

Deno.test("[8x8 sms] a wrong API key is reported as an authentication failure by the fake itself", () =>
  withFake(async (fake) => {
    const delivery = await senderFor(fake, "not-the-key").send(MESSAGE, testDeadline());
    assert.equal(delivery.outcome === "failed" && delivery.reason, "provider_auth_failed");
  }));

Deno.test("[8x8 sms] a 200 that cannot be read is an unknown outcome, not a success or a failure", () =>
  withFake(async (fake) => {
    fake.answerWith("unreadable");
    const delivery = await senderFor(fake).send(MESSAGE, testDeadline());
    assert.deepEqual(
      { outcome: delivery.outcome, reason: delivery.outcome === "unknown" && delivery.reason },
      { outcome: "unknown", reason: "unreadable_response" },
    );
  }));

Deno.test("[8x8 sms] a call cut off by the deadline is an unknown outcome", () =>
  withFake(async (fake) => {
    fake.answerWith("hang");
    const deadline = new AbortController();
    // Abort exactly when 8x8 has the request in hand: the message may already be accepted.
    fake.nextRequest().then(() => deadline.abort());
    const delivery = await senderFor(fake).send(MESSAGE, testDeadline(deadline));
    assert.equal(delivery.outcome, "unknown");
    assert.equal(delivery.outcome === "unknown" && delivery.reason, "timeout");
  }));

Deno.test("[8x8 sms] a refused connection is a clean failure: nothing reached 8x8", async () => {
  const fake = startFake8x8();
  const sender = senderFor(fake);
  await fake.close();
  const delivery = await sender.send(MESSAGE, testDeadline());
  assert.equal(delivery.outcome, "failed");
  assert.equal(delivery.outcome === "failed" && delivery.reason, "provider_unavailable");
  assert.equal(delivery.metadata.error, "connect_failed");
});

Deno.test("[8x8 sms] optional fields are left out rather than sent empty", () =>
  withFake(async (fake) => {
    const sender = createEightByEightSms({
      baseUrl: fake.url,
      subaccountId: fake.subaccountId,
      apiKey: fake.apiKey,
    });
    await sender.send({ ...MESSAGE, expiresAt: undefined }, testDeadline());
    const body = fake.requests[0]!.body as Record<string, unknown>;
    assert.deepEqual(fake.requests[0]!.violations, []);
    assert.equal("source" in body, false);
    assert.equal("expiry" in body, false);
  }));
