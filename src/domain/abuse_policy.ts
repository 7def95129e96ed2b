// Stops SMS pumping and toll fraud before money is spent: destination rules first, then rate limits.
import type { FailureReason } from "./delivery.ts";
import type { OtpRequest, PhoneNumber } from "./otp_request.ts";
import type { LimitTake } from "./ports.ts";
import type { AbuseRules, RateLimit } from "./abuse_rules.ts";

/** Why the policy refused, and which rule did. */
export interface Refusal {
  readonly reason: Extract<
    FailureReason,
    "number_invalid" | "country_not_allowed" | "number_type_not_allowed" | "rate_limited"
  >;
  /** The rule, e.g. `per_number`, safe to log and to show an administrator. */
  readonly rule: string;
}

// The rules, in order of cost: the destination itself (here, pure), then the limits, which the use case counts
// all together when the destination passes (see deliver_otp.ts). Administrators' preview requests are not
// refused for an unassigned number or a guessed country code, because the preview generator fills in a
// placeholder; every other rule applies to them.

/** The rules about the destination itself, which need no counting: a refusal, or undefined when it may go. */
export function destinationRefusal(
  request: OtpRequest,
  to: PhoneNumber,
  rules: AbuseRules,
): Refusal | undefined {
  if (!to.valid && !request.preview) return { reason: "number_invalid", rule: "numbering_plan" };
  // `6469742749` is a New York number to a person and a New Zealand one to a parser: never send on a guess.
  if (to.guessedCountry && !request.preview) return { reason: "number_invalid", rule: "no_country_code" };
  const region = to.regionCode;
  const callingCode = `+${to.countryCallingCode}`;
  const listed = (list: ReadonlySet<string>) =>
    (region !== undefined && list.has(region)) || list.has(callingCode);
  if (rules.allowedCountries !== undefined && !listed(rules.allowedCountries)) {
    return { reason: "country_not_allowed", rule: "allowed_countries" };
  }
  if (listed(rules.blockedCountries)) return { reason: "country_not_allowed", rule: "blocked_countries" };
  // Satellite and other international networks (+870, +881, +882, +883…) belong to no country, cost the most,
  // and are a toll-fraud favourite: only a calling code named in ALLOWED_COUNTRIES lets them through.
  if (region === undefined && to.valid && !rules.allowedCountries?.has(callingCode)) {
    return { reason: "country_not_allowed", rule: "international_network" };
  }
  if (to.type !== undefined && rules.blockedNumberTypes.has(to.type)) {
    return { reason: "number_type_not_allowed", rule: to.type.toLowerCase() };
  }
  return undefined;
}

/** One configured limit and what it counts for this request. */
export interface CountedLimit {
  /** `per_number`, `per_user` or `per_country`: the rule a refusal names. */
  readonly rule: string;
  readonly take: LimitTake;
}

/** The configured limits this request counts against, each with its subject. */
export function limitsFor(request: OtpRequest, to: PhoneNumber, rules: AbuseRules): CountedLimit[] {
  const limits: [string, RateLimit | undefined, string | undefined][] = [
    ["per_number", rules.perNumber, to.e164],
    ["per_user", rules.perUser, request.userId],
    ["per_country", rules.perCountry, to.countryCallingCode],
  ];
  const counted: CountedLimit[] = [];
  for (const [rule, limit, subject] of limits) {
    if (limit !== undefined && subject !== undefined) {
      counted.push({ rule, take: { key: `${rule}:${subject}`, limit } });
    }
  }
  return counted;
}

/** The refusal for a limiter's answer: -1 is none, else the index of the full limit. */
export function limitRefusal(limits: readonly CountedLimit[], refused: number): Refusal | undefined {
  return refused < 0 ? undefined : { reason: "rate_limited", rule: limits[refused]!.rule };
}
