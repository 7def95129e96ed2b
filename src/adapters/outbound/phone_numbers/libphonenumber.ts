import { parsePhoneNumberFromString } from "libphonenumber-js";
import type { PhoneNumber } from "../../../domain/otp_request.ts";
import type { PhoneNumbers } from "../../../domain/ports.ts";

// E.164 allows at most 15 digits; 8x8 wants at least 7 and no leading zero.
const E164 = /^\+[1-9]\d{6,14}$/;
// Bare international digits, as Okta's own preview sends them (`9876543210`).
const BARE_DIGITS = /^\d+$/;

/**
 * Parses numbers with libphonenumber-js. Whether a number is valid for its country is a policy question
 * left to the abuse checks; here a number is usable when it has a known country calling code and E.164 shape.
 */
export function createLibphonenumberParser(): PhoneNumbers {
  return {
    parse(raw: string): PhoneNumber | undefined {
      const trimmed = raw.trim();
      const international = BARE_DIGITS.test(trimmed) ? `+${trimmed}` : trimmed;
      if (!international.startsWith("+")) return undefined;
      const parsed = parsePhoneNumberFromString(international);
      if (parsed === undefined || !E164.test(parsed.number)) return undefined;
      return { e164: parsed.number, countryCallingCode: parsed.countryCallingCode };
    },
  };
}
