// Test data "mothers": Okta requests built from Okta's own preview sample, changed only where a test says so.

/** Okta's preview request exactly as the contract file holds it. */
export const PREVIEW_SAMPLE_TEXT = Deno.readTextFileSync(
  new URL("../contracts/okta/request-sms-preview.json", import.meta.url),
);

/** The preview sample's OTP code and number, which must never appear in logs. */
export const PREVIEW_OTP = "11111";
export const PREVIEW_PHONE = "9876543210";

/** Fields of `data.messageProfile` a test may replace; `undefined` removes the field. */
export type ProfileChanges = Partial<Record<string, unknown>>;

/** A fresh copy of the preview sample with some message profile fields replaced or removed. */
export function oktaRequest(changes: ProfileChanges = {}, eventId?: string): Record<string, unknown> {
  const request = JSON.parse(PREVIEW_SAMPLE_TEXT);
  if (eventId !== undefined) request.eventId = eventId;
  const profile = request.data.messageProfile;
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete profile[name];
    else profile[name] = value;
  }
  return request;
}

/**
 * A user's sign-in rather than an Admin Console preview (no request context), with a passcode that expires in
 * ten minutes, as Okta would send it now.
 */
export function signInRequest(changes: ProfileChanges = {}, eventId?: string): Record<string, unknown> {
  const request = oktaRequest(
    { otpExpires: new Date(Date.now() + 10 * 60_000).toISOString(), ...changes },
    eventId,
  ) as { data: Record<string, unknown> };
  delete request.data.context;
  return request;
}
