// The operator's abuse rules as data: what the policy checks, and what the stores count against.
import type { NumberType } from "./otp_request.ts";

/** At most `max` passcodes in any window of `windowMs`. */
export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
}

/** The operator's rules. An absent limit or list does not apply. */
export interface AbuseRules {
  /** When set, only these may receive passcodes: ISO countries (`US`) or country calling codes (`+881`). */
  readonly allowedCountries?: ReadonlySet<string>;
  /** ISO countries or country calling codes that never receive passcodes. */
  readonly blockedCountries: ReadonlySet<string>;
  readonly blockedNumberTypes: ReadonlySet<NumberType>;
  readonly perNumber?: RateLimit;
  readonly perUser?: RateLimit;
  /** A velocity cap on all passcodes to one country calling code: catches a burst to one place. */
  readonly perCountry?: RateLimit;
}

/** Rules that refuse nothing. */
export const NO_ABUSE_RULES: AbuseRules = { blockedCountries: new Set(), blockedNumberTypes: new Set() };
