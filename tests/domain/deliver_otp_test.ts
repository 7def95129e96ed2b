import assert from "node:assert/strict";
import { deliverOtp } from "../../src/domain/deliver_otp.ts";
import { type Delivery, type DeliveryAttempt, failed } from "../../src/domain/delivery.ts";
import { maskPhoneNumber } from "../../src/domain/mask.ts";
import type { OtpRequest, PhoneNumber } from "../../src/domain/otp_request.ts";
import type { LimitTake, PhoneNumbers, RateLimiter, ReplayStore } from "../../src/domain/ports.ts";
import {
  forgetfulReplays,
  recordingSmsSender,
  recordingVoiceCaller,
  testDeadline,
} from "../support/fakes.ts";
import { NO_ABUSE_RULES } from "../../src/domain/abuse_rules.ts";

const DELIVERED: Delivery = { outcome: "delivered", provider: "test", transactionId: "t-1", metadata: {} };

// A parser fake: knows exactly one number, so tests control what is "usable".
const knownNumber: PhoneNumber = {
  e164: "+15551231234",
  countryCallingCode: "1",
  regionCode: "US",
  valid: true,
};
// The tests' requests expire in 2030.
const now = () => Date.parse("2030-01-01T00:00:00Z");
const phoneNumbers: PhoneNumbers = { parse: (raw) => raw === "+1 555 123 1234" ? knownNumber : undefined };

function otpRequest(changes: Partial<OtpRequest> = {}): OtpRequest {
  return {
    eventId: "evt-1",
    channel: "sms",
    rawPhoneNumber: "+1 555 123 1234",
    otpCode: "424242",
    messageText: "Your code is 424242",
    expiresAt: new Date("2030-01-01T00:05:00Z"),
    ...changes,
  };
}

Deno.test("[deliver otp] sends the rendered text to the normalised number and returns the sender's result", async () => {
  const sms = recordingSmsSender(DELIVERED);
  const attempt = await deliverOtp(otpRequest(), NO_ABUSE_RULES, {
    phoneNumbers,
    sms,
    now,
    replays: forgetfulReplays(),
  }, testDeadline());
  assert.deepEqual(attempt, {
    delivery: DELIVERED,
    maskedDestination: "+1******1234",
    countryCallingCode: "1",
  });
  assert.deepEqual(sms.sent, [{
    eventId: "evt-1",
    to: knownNumber,
    text: "Your code is 424242",
    expiresAt: new Date("2030-01-01T00:05:00Z"),
  }]);
});

Deno.test("[deliver otp] falls back to a plain text with the code when Okta sends no template", async () => {
  const sms = recordingSmsSender(DELIVERED);
  await deliverOtp(otpRequest({ messageText: undefined }), NO_ABUSE_RULES, {
    phoneNumbers,
    sms,
    now,
    replays: forgetfulReplays(),
  }, testDeadline());
  assert.equal(sms.sent[0]?.text, "Your verification code is 424242");
});

Deno.test("[deliver otp] an unusable number fails without calling the sender", async () => {
  const sms = recordingSmsSender(DELIVERED);
  const attempt = await deliverOtp(otpRequest({ rawPhoneNumber: "12" }), NO_ABUSE_RULES, {
    phoneNumbers,
    sms,
    now,
    replays: forgetfulReplays(),
  }, testDeadline());
  assert.deepEqual(attempt.delivery, failed("invalid_phone_number"));
  assert.equal(attempt.maskedDestination, "(unparsable)");
  assert.equal(sms.sent.length, 0);
});

Deno.test("[deliver otp] a voice request places one call with the code and locale, and sends no SMS", async () => {
  const sms = recordingSmsSender(DELIVERED);
  const voice = recordingVoiceCaller(DELIVERED);
  const request = otpRequest({ channel: "voice", locale: "EN-US" });
  const attempt = await deliverOtp(request, NO_ABUSE_RULES, {
    phoneNumbers,
    sms,
    voice,
    now,
    replays: forgetfulReplays(),
  }, testDeadline());
  assert.deepEqual(attempt, {
    delivery: DELIVERED,
    maskedDestination: "+1******1234",
    countryCallingCode: "1",
  });
  assert.deepEqual(voice.calls, [{
    eventId: "evt-1",
    to: knownNumber,
    otpCode: "424242",
    locale: "EN-US",
    expiresAt: new Date("2030-01-01T00:05:00Z"),
  }]);
  assert.equal(sms.sent.length, 0);
});

Deno.test("[deliver otp] voice without a configured caller fails clearly and never becomes an SMS", async () => {
  const sms = recordingSmsSender(DELIVERED);
  const attempt = await deliverOtp(otpRequest({ channel: "voice" }), NO_ABUSE_RULES, {
    phoneNumbers,
    sms,
    now,
    replays: forgetfulReplays(),
  }, testDeadline());
  assert.deepEqual(attempt.delivery, failed("channel_not_configured"));
  assert.equal(attempt.maskedDestination, "+1******1234");
  assert.equal(sms.sent.length, 0);
});

// A replay store that remembers what it was asked, optionally able to claim and count in one step.
function recordingReplays(options: { counting?: boolean; refuse?: number } = {}) {
  const calls: string[] = [];
  const completed: DeliveryAttempt[] = [];
  const store: ReplayStore = {
    claim: (eventId) => (calls.push(`claim ${eventId}`), Promise.resolve({ kind: "claimed" })),
    complete: (_eventId, attempt) => (completed.push(attempt), Promise.resolve()),
    release: () => Promise.resolve(),
    ...(options.counting
      ? {
        claimAndTake: (eventId: string, _deadline: unknown, takes: readonly LimitTake[]) => {
          calls.push(`claimAndTake ${eventId} ${takes.map((take) => take.key).join(",")}`);
          return Promise.resolve({ kind: "claimed" as const, refused: options.refuse ?? -1 });
        },
      }
      : {}),
  };
  return { store, calls, completed };
}

function recordingLimiter(refuse = -1): RateLimiter & { takes: string[][] } {
  const takes: string[][] = [];
  return { takes, take: (asked) => (takes.push(asked.map((take) => take.key)), Promise.resolve(refuse)) };
}

const LIMITED = {
  ...NO_ABUSE_RULES,
  perNumber: { max: 5, windowMs: 900_000 },
  perUser: { max: 10, windowMs: 3_600_000 },
};

Deno.test("[deliver otp] limits are counted once, together, after the claim; a refusal sends nothing and is remembered", async () => {
  const sms = recordingSmsSender(DELIVERED);
  const replays = recordingReplays();
  const limiter = recordingLimiter(1);
  const attempt = await deliverOtp(otpRequest({ userId: "u1" }), LIMITED, {
    phoneNumbers,
    sms,
    now,
    replays: replays.store,
    limiter,
  }, testDeadline());
  assert.deepEqual(replays.calls, ["claim evt-1"]);
  assert.deepEqual(limiter.takes, [["per_number:+15551231234", "per_user:u1"]]);
  assert.deepEqual(attempt.delivery, failed("rate_limited", { metadata: { rule: "per_user" } }));
  assert.deepEqual(replays.completed, [attempt]);
  assert.equal(sms.sent.length, 0);
});

Deno.test("[deliver otp] a store that claims and counts in one step is used for both, and the limiter is not asked", async () => {
  for (const refuse of [-1, 0]) {
    const sms = recordingSmsSender(DELIVERED);
    const replays = recordingReplays({ counting: true, refuse });
    const limiter = recordingLimiter();
    const attempt = await deliverOtp(otpRequest({ userId: "u1" }), LIMITED, {
      phoneNumbers,
      sms,
      now,
      replays: replays.store,
      limiter,
    }, testDeadline());
    assert.deepEqual(replays.calls, ["claimAndTake evt-1 per_number:+15551231234,per_user:u1"]);
    assert.deepEqual(limiter.takes, []);
    assert.equal(attempt.delivery.outcome, refuse < 0 ? "delivered" : "failed");
    assert.equal(sms.sent.length, refuse < 0 ? 1 : 0);
  }
});

Deno.test("[deliver otp] a number the rules refuse is claimed, remembered and counts against no limit", async () => {
  const replays = recordingReplays({ counting: true });
  const limiter = recordingLimiter();
  const attempt = await deliverOtp(
    otpRequest(),
    { ...LIMITED, blockedCountries: new Set(["US"]) },
    { phoneNumbers, sms: recordingSmsSender(DELIVERED), now, replays: replays.store, limiter },
    testDeadline(),
  );
  assert.equal(attempt.delivery.outcome === "failed" && attempt.delivery.reason, "country_not_allowed");
  assert.deepEqual(replays.calls, ["claim evt-1"], "a plain claim: nothing to count");
  assert.deepEqual(limiter.takes, []);
  assert.deepEqual(replays.completed, [attempt]);
});

Deno.test("[deliver otp] a rate limit with nothing to count it is a wiring bug, found before anything is claimed", async () => {
  const replays = recordingReplays();
  await assert.rejects(
    () =>
      deliverOtp(otpRequest(), LIMITED, {
        phoneNumbers,
        sms: recordingSmsSender(DELIVERED),
        now,
        replays: replays.store,
      }, testDeadline()),
    /per_number rate limit is set, and no limiter counts it/,
  );
  assert.deepEqual(replays.calls, []);
});

Deno.test("[mask] keeps the country calling code and at most the last four digits", async (t) => {
  const cases: [PhoneNumber, string][] = [
    [{ e164: "+15551231234", countryCallingCode: "1", valid: true }, "+1******1234"],
    [{ e164: "+6591234567", countryCallingCode: "65", valid: true }, "+65****4567"],
    [{ e164: "+9876543210", countryCallingCode: "98", valid: true }, "+98****3210"],
    [{ e164: "+2901234", countryCallingCode: "290", valid: true }, "+290**34"],
  ];
  for (const [number, masked] of cases) {
    await t.step(number.e164, () => assert.equal(maskPhoneNumber(number), masked));
  }
});
