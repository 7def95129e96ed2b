import assert from "node:assert/strict";
import { destinationRefusal, limitRefusal, limitsFor } from "../../src/domain/abuse_policy.ts";
import { type AbuseRules, NO_ABUSE_RULES } from "../../src/domain/abuse_rules.ts";
import type { OtpRequest, PhoneNumber } from "../../src/domain/otp_request.ts";

const REQUEST: OtpRequest = { eventId: "e", channel: "sms", rawPhoneNumber: "x", otpCode: "1", userId: "u1" };
const US_MOBILE: PhoneNumber = {
  e164: "+14155552671",
  countryCallingCode: "1",
  regionCode: "US",
  valid: true,
  type: "FIXED_LINE_OR_MOBILE",
};

const rules = (changes: Partial<AbuseRules>): AbuseRules => ({ ...NO_ABUSE_RULES, ...changes });

Deno.test("[abuse policy] each destination rule refuses with its stable reason", async (t) => {
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
    await t.step(name, () => {
      assert.deepEqual(destinationRefusal(REQUEST, number, abuseRules), { reason, rule });
    });
  }
});

Deno.test("[abuse policy] limits count per number, per user and per country calling code", () => {
  const limit = { max: 1, windowMs: 1 };
  const all = rules({ perNumber: limit, perUser: limit, perCountry: limit });
  const limits = limitsFor(REQUEST, US_MOBILE, all);
  assert.deepEqual(limits.map((counted) => counted.take.key), [
    "per_number:+14155552671",
    "per_user:u1",
    "per_country:1",
  ]);
  assert.equal(limitRefusal(limits, -1), undefined);
  for (const [index, rule] of ["per_number", "per_user", "per_country"].entries()) {
    assert.deepEqual(limitRefusal(limits, index), { reason: "rate_limited", rule });
  }
  assert.deepEqual(limitsFor({ ...REQUEST, userId: undefined }, US_MOBILE, rules({ perUser: limit })), []);
  assert.deepEqual(limitsFor(REQUEST, US_MOBILE, NO_ABUSE_RULES), [], "no limits configured");
});

Deno.test("[abuse policy] preview requests may use a placeholder number, but every other rule still applies", () => {
  const preview = { ...REQUEST, preview: true };
  const placeholder = { ...US_MOBILE, valid: false, regionCode: "IR", type: undefined };
  assert.equal(destinationRefusal(preview, placeholder, NO_ABUSE_RULES), undefined);
  const onlyUs = rules({ allowedCountries: new Set(["US"]) });
  assert.equal(destinationRefusal(preview, placeholder, onlyUs)?.reason, "country_not_allowed");
});
