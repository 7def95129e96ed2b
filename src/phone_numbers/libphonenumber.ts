// The "max" metadata: needed to tell valid numbers and number types (premium rate, shared cost) apart.
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { PhoneNumber } from "../domain/otp_request.ts";
import type { PhoneNumbers } from "../domain/ports.ts";

// E.164 allows at most 15 digits; 8x8 wants at least 7 and no leading zero.
const E164 = /^\+[1-9]\d{6,14}$/;
// Bare international digits, as Okta's own preview sends them (`9876543210`).
const BARE_DIGITS = /^\d+$/;

/** Settings for `createLibphonenumberParser`. */
export interface LibphonenumberOptions {
  /** The ISO country whose national format bare digits are in (`US`: `6469742749` is +1 646…). */
  readonly nationalRegion?: string;
}

/**
 * Parses numbers with libphonenumber-js. A number is usable when it has a known country calling code and E.164
 * shape; whether it is valid for its country, and what type of line it is, are facts for the abuse policy.
 * Digits without `+` are read in `nationalRegion`'s national format when one is set and they are valid there;
 * otherwise as international digits, marked as a guess.
 */
export function createLibphonenumberParser(options: LibphonenumberOptions = {}): PhoneNumbers {
  const region = options.nationalRegion as CountryCode | undefined;
  return {
    parse(raw: string): PhoneNumber | undefined {
      const trimmed = raw.trim();
      if (BARE_DIGITS.test(trimmed)) {
        const national = region === undefined ? undefined : read(trimmed, region);
        if (national?.valid) return national;
        const international = read(`+${trimmed}`);
        return international === undefined
          ? national
          : { ...international, guessedCountry: region === undefined };
      }
      return trimmed.startsWith("+") ? read(trimmed) : undefined;
    },
  };
}

function read(text: string, region?: CountryCode): PhoneNumber | undefined {
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: region, extract: false });
  if (parsed === undefined || !E164.test(parsed.number)) return undefined;
  // With the full metadata a number is valid exactly when it matches a type, so one pass answers both;
  // isValid runs only for the rare number without a type.
  const type = parsed.getType();
  return {
    e164: parsed.number,
    countryCallingCode: parsed.countryCallingCode,
    regionCode: parsed.country,
    valid: type !== undefined || parsed.isValid(),
    type,
  };
}
