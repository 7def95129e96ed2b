import assert from "node:assert/strict";
import { refusalFor } from "../../src/domain/abuse_policy.ts";
import { type AbuseRules, NO_ABUSE_RULES } from "../../src/domain/abuse_rules.ts";
import type { OtpRequest, PhoneNumber } from "../../src/domain/otp_request.ts";
import type { RateLimiter } from "../../src/domain/ports.ts";

const REQUEST: OtpRequest = { eventId: "e", channel: "sms", rawPhoneNumber: "x", otpCode: "1", userId: "u1" };
const US_MOBILE: PhoneNumber = {
  e164: "+14155552671",
  countryCallingCode: "1",
  regionCode: "US",
  valid: true,
  type: "FIXED_LINE_OR_MOBILE",
};

// A limiter fake that refuses the subjects named (all or none, as the port says) and records what it was asked.
function countingLimiter(refuse: string[] = []): RateLimiter & { keys: string[] } {
  const keys: string[] = [];
  return {
    keys,
    take: (takes) => {
      keys.push(...takes.map((take) => take.key));
      return Promise.resolve(takes.findIndex((take) => refuse.some((prefix) => take.key.startsWith(prefix))));
    },
  };
}

const rules = (changes: Partial<AbuseRules>): AbuseRules => ({ ...NO_ABUSE_RULES, ...changes });

Deno.test("[abuse policy] each destination rule refuses with its stable reason, before any limit is counted", async (t) => {
  const cases: [string, PhoneNumber, AbuseRules, string, string][] = [
    ["invalid number", { ...US_MOBILE, valid: false }, NO_ABUSE_RULES, "number_invalid", "numbering_plan"],
    [
      "country not in the allow list",
      { ...US_MOBILE, regionCode: "GB" },
      rules({ allowedCountries: new Set(["US", "SG"]) }),
      "country_not_allowed",
      "allowed_countries",
    ],
    [
      "country unknown with an allow list",
      { ...US_MOBILE, regionCode: undefined },
      rules({ allowedCountries: new Set(["US"]) }),
      "country_not_allowed",
      "allowed_countries",
    ],
    [
      "blocked country",
      US_MOBILE,
      rules({ blockedCountries: new Set(["US"]) }),
      "country_not_allowed",
      "blocked_countries",
    ],
    [
      "premium rate",
      { ...US_MOBILE, type: "PREMIUM_RATE" },
      rules({ blockedNumberTypes: new Set(["PREMIUM_RATE"]) }),
      "number_type_not_allowed",
      "premium_rate",
    ],
  ];
  for (const [name, number, abuseRules, reason, rule] of cases) {
    await t.step(name, async () => {
      const limiter = countingLimiter();
      const withLimits = { ...abuseRules, perNumber: { max: 1, windowMs: 1 } };
      assert.deepEqual(await refusalFor(REQUEST, number, withLimits, limiter), { reason, rule });
      assert.deepEqual(limiter.keys, []);
    });
  }
});

Deno.test("[abuse policy] limits count per number, per user and per country calling code", async () => {
  const limit = { max: 1, windowMs: 1 };
  const all = rules({ perNumber: limit, perUser: limit, perCountry: limit });
  const limiter = countingLimiter();
  assert.equal(await refusalFor(REQUEST, US_MOBILE, all, limiter), undefined);
  assert.deepEqual(limiter.keys, ["per_number:+14155552671", "per_user:u1", "per_country:1"]);
  for (
    const [refused, rule] of [["per_number", "per_number"], ["per_user", "per_user"], [
      "per_country",
      "per_country",
    ]]
  ) {
    const refusal = await refusalFor(REQUEST, US_MOBILE, all, countingLimiter([refused!]));
    assert.deepEqual(refusal, { reason: "rate_limited", rule });
  }
});

Deno.test("[abuse policy] preview requests may use a placeholder number, but every other rule still applies", async () => {
  const preview = { ...REQUEST, preview: true };
  const placeholder = { ...US_MOBILE, valid: false, regionCode: "IR", type: undefined };
  assert.equal(await refusalFor(preview, placeholder, NO_ABUSE_RULES, countingLimiter()), undefined);
  const onlyUs = rules({ allowedCountries: new Set(["US"]) });
  assert.equal(
    (await refusalFor(preview, placeholder, onlyUs, countingLimiter()))?.reason,
    "country_not_allowed",
  );
});

Deno.test("[abuse policy] a rate limit with no limiter to count it is a wiring bug, not a pass", async () => {
  const to = { e164: "+14155552671", countryCallingCode: "1", regionCode: "US", valid: true };
  const request = { eventId: "e", channel: "sms" as const, rawPhoneNumber: to.e164, otpCode: "1" };
  const rules = { ...NO_ABUSE_RULES, perNumber: { max: 1, windowMs: 60_000 } };
  await assert.rejects(() => refusalFor(request, to, rules, undefined), /no limiter counts it/);
  assert.equal(
    await refusalFor(request, to, NO_ABUSE_RULES, undefined),
    undefined,
    "no limits, no limiter needed",
  );
});
