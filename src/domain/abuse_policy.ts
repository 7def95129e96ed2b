// Stops SMS pumping and toll fraud before money is spent: destination rules first, then rate limits.
import type { FailureReason } from "./delivery.ts";
import type { OtpRequest, PhoneNumber } from "./otp_request.ts";
import type { LimitTake, RateLimiter } from "./ports.ts";
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

/**
 * Checks one request against the rules, in order of cost: the number itself, then the limits, which count this
 * request against all of them when it passes them all. Administrators' preview requests are not refused for an
 * unassigned number or a guessed country code, because the preview generator fills in a placeholder; every
 * other rule applies to them.
 */
export async function refusalFor(
  request: OtpRequest,
  to: PhoneNumber,
  rules: AbuseRules,
  limiter: RateLimiter | undefined,
): Promise<Refusal | undefined> {
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
  const limits: [string, RateLimit | undefined, string | undefined][] = [
    ["per_number", rules.perNumber, to.e164],
    ["per_user", rules.perUser, request.userId],
    ["per_country", rules.perCountry, to.countryCallingCode],
  ];
  const rulesTaken: string[] = [];
  const takes: LimitTake[] = [];
  for (const [rule, limit, subject] of limits) {
    if (limit === undefined || subject === undefined) continue;
    rulesTaken.push(rule);
    takes.push({ key: `${rule}:${subject}`, limit });
  }
  if (takes.length === 0) return undefined;
  // A bug in the wiring, not an outcome: a configured limit must never go uncounted.
  if (limiter === undefined) {
    throw new Error(`the ${rulesTaken[0]} rate limit is set, and no limiter counts it`);
  }
  // All limits at once: a refused passcode uses up none of them, and a shared store counts them in one write.
  const refused = await limiter.take(takes);
  if (refused >= 0) return { reason: "rate_limited", rule: rulesTaken[refused]! };
  return undefined;
}
