import type { PhoneNumber } from "./otp_request.ts";

/** At most this many trailing digits stay visible: enough for a help desk, too few to dial. */
const VISIBLE_DIGITS = 4;

/** Stands in for input that is not a usable number: none of its characters are kept. */
export const UNPARSABLE_NUMBER_MASK = "(unparsable)";

/**
 * Masks a phone number for logs and traces, keeping the country calling code and the last digits.
 *
 * @example maskPhoneNumber({ e164: "+15551231234", countryCallingCode: "1" }) // "+1******1234"
 */
export function maskPhoneNumber(number: PhoneNumber): string {
  const national = number.e164.slice(1 + number.countryCallingCode.length);
  // Short national numbers keep at least half their digits hidden.
  const visible = Math.min(VISIBLE_DIGITS, Math.floor(national.length / 2));
  const hidden = national.length - visible;
  return `+${number.countryCallingCode}${"*".repeat(hidden)}${national.slice(hidden)}`;
}
