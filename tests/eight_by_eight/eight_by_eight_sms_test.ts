import assert from "node:assert/strict";
import { createEightByEightSms } from "../../src/eight_by_eight/sms_sender.ts";
import type { SmsMessage } from "../../src/domain/ports.ts";
import { type Fake8x8, startFake8x8, withFake8x8 } from "../fakes/fake_8x8.ts";
import { testDeadline } from "../support/fakes.ts";

const MESSAGE: SmsMessage = {
  eventId: "uS5871kJThSsU8qlA1LTcg",
  to: { e164: "+6591234567", countryCallingCode: "65", regionCode: "SG", valid: true, type: "MOBILE" },
  text: "Your code is 424242",
  expiresAt: new Date("2030-01-28T21:48:34.321Z"),
};

// One attempt only: these tests are about reading each answer; retries have their own below.
function senderFor(fake: Fake8x8, apiKey = fake.apiKey) {
  return createEightByEightSms({
    baseUrl: `${fake.url}/`,
    subaccountId: fake.subaccountId,
    apiKey,
    source: "Acme",
    retry: { maxAttempts: 1 },
  });
}

Deno.test("[8x8 sms] a queued message is delivered, and the call matches 8x8's published schema", () =>
  withFake8x8(async (fake) => {
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
  await withFake8x8(async (fake) => {
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
  withFake8x8(async (fake) => {
    const delivery = await senderFor(fake, "not-the-key").send(MESSAGE, testDeadline());
    assert.equal(delivery.outcome === "failed" && delivery.reason, "provider_auth_failed");
  }));

Deno.test("[8x8 sms] a 200 that cannot be read is an unknown outcome, not a success or a failure", () =>
  withFake8x8(async (fake) => {
    fake.answerWith("unreadable");
    const delivery = await senderFor(fake).send(MESSAGE, testDeadline());
    assert.deepEqual(
      { outcome: delivery.outcome, reason: delivery.outcome === "unknown" && delivery.reason },
      { outcome: "unknown", reason: "unreadable_response" },
    );
  }));

Deno.test("[8x8 sms] a call cut off by the deadline is an unknown outcome", () =>
  withFake8x8(async (fake) => {
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
  withFake8x8(async (fake) => {
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

// Retries: a recorded sleep instead of real waiting, and a fixed jitter.
function retryingSender(fake: Fake8x8, random = () => 0.5) {
  const waits: number[] = [];
  const sender = createEightByEightSms({
    baseUrl: fake.url,
    subaccountId: fake.subaccountId,
    apiKey: fake.apiKey,
    retry: { random, sleep: (ms) => (waits.push(ms), Promise.resolve()) },
  });
  return { sender, waits };
}

Deno.test("[8x8 sms retries] a 503 is retried after a jittered backoff and the second attempt delivers", () =>
  withFake8x8(async (fake) => {
    fake.answerNext("unavailable");
    const { sender, waits } = retryingSender(fake);
    const delivery = await sender.send(MESSAGE, testDeadline());
    assert.equal(delivery.outcome, "delivered");
    assert.equal(fake.requests.length, 2);
    assert.deepEqual(waits, [50]); // half (the jitter) of the 100 ms base
    // Both attempts carry the same client reference, so 8x8's logs tie them together.
    assert.deepEqual(fake.requests.map((r) => (r.body as { clientMessageId: string }).clientMessageId), [
      MESSAGE.eventId,
      MESSAGE.eventId,
    ]);
  }));

Deno.test("[8x8 sms retries] backoff doubles per attempt and gives up after three attempts", () =>
  withFake8x8(async (fake) => {
    fake.answerWith("unavailable");
    const { sender, waits } = retryingSender(fake, () => 1);
    const delivery = await sender.send(MESSAGE, testDeadline());
    assert.equal(delivery.outcome === "failed" && delivery.reason, "provider_unavailable");
    assert.equal(fake.requests.length, 3);
    assert.deepEqual(waits, [100, 200]);
  }));

Deno.test("[8x8 sms retries] a 429 waits for Retry-After when it fits the deadline, and not when it does not", async (t) => {
  await t.step("fits: retried after 1 s", () =>
    withFake8x8(async (fake) => {
      fake.answerNext("rate_limited");
      const { sender, waits } = retryingSender(fake);
      const delivery = await sender.send(MESSAGE, testDeadline(new AbortController(), 2_400));
      assert.equal(delivery.outcome, "delivered");
      assert.deepEqual(waits, [1_000]);
    }));
  await t.step("does not fit: answered at once as rate limited", () =>
    withFake8x8(async (fake) => {
      fake.answerNext("rate_limited");
      const { sender, waits } = retryingSender(fake);
      const delivery = await sender.send(MESSAGE, testDeadline(new AbortController(), 1_200));
      assert.equal(delivery.outcome === "failed" && delivery.reason, "provider_rate_limited");
      assert.deepEqual(waits, []);
      assert.equal(fake.requests.length, 1);
    }));
});

Deno.test("[8x8 sms retries] answers that may hide an accepted message, or that are final, are never retried", async (t) => {
  const cases = [
    ["bad_gateway", "unknown", "gateway_error"],
    ["gateway_timeout", "unknown", "gateway_error"],
    ["server_error", "failed", "provider_unavailable"],
    ["invalid_msisdn", "failed", "invalid_phone_number"],
    ["unauthenticated", "failed", "provider_auth_failed"],
    ["rejected", "failed", "provider_rejected"],
    ["unreadable", "unknown", "unreadable_response"],
  ] as const;
  for (const [scenario, outcome, reason] of cases) {
    await t.step(scenario, () =>
      withFake8x8(async (fake) => {
        fake.answerWith(scenario);
        const { sender, waits } = retryingSender(fake);
        const delivery = await sender.send(MESSAGE, testDeadline());
        assert.deepEqual([delivery.outcome, delivery.outcome !== "delivered" && delivery.reason], [
          outcome,
          reason,
        ]);
        assert.equal(fake.requests.length, 1);
        assert.deepEqual(waits, []);
      }));
  }
});

Deno.test("[8x8 sms retries] a refused connection is retried: nothing was sent", async () => {
  const fake = startFake8x8();
  const { sender, waits } = retryingSender(fake);
  await fake.close();
  const delivery = await sender.send(MESSAGE, testDeadline());
  assert.equal(delivery.outcome === "failed" && delivery.reason, "provider_unavailable");
  assert.equal(waits.length, 2, "three attempts in all");
});

Deno.test("[8x8 sms retries] the deadline ending during a backoff stops the retries", () =>
  withFake8x8(async (fake) => {
    fake.answerWith("unavailable");
    const deadline = new AbortController();
    const sender = createEightByEightSms({
      baseUrl: fake.url,
      subaccountId: fake.subaccountId,
      apiKey: fake.apiKey,
      retry: {
        random: () => 0.5,
        // The deadline ends while waiting: the wait rejects as a real one would.
        sleep: (_ms, signal) => (deadline.abort(), Promise.reject(signal.reason)),
      },
    });
    const delivery = await sender.send(MESSAGE, testDeadline(deadline));
    assert.equal(delivery.outcome === "failed" && delivery.reason, "provider_unavailable");
    assert.equal(fake.requests.length, 1);
  }));
