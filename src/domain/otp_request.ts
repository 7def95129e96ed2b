/** How the user asked to receive the passcode. */
export type Channel = "sms" | "voice";

/** One request to deliver a one-time passcode, free of any caller's or provider's wire format. */
export interface OtpRequest {
  /** The caller's id for this request; also the idempotency key towards the provider. */
  readonly eventId: string;
  readonly channel: Channel;
  /** The number exactly as received; the use case normalises it through the `PhoneNumbers` port. */
  readonly rawPhoneNumber: string;
  readonly otpCode: string;
  /** The rendered message that already contains the code, when the caller supplied one. */
  readonly messageText?: string;
  /** After this instant the code is useless, so the message must not arrive later. */
  readonly expiresAt?: Date;
  readonly locale?: string;
  /** The caller's id for the user, for per-user limits. */
  readonly userId?: string;
  /** A test request an administrator sent by hand from the caller's console, not a user's sign-in. */
  readonly preview?: boolean;
}

/** What kind of line a number is, as far as numbering plans tell. */
export type NumberType =
  | "MOBILE"
  | "FIXED_LINE"
  | "FIXED_LINE_OR_MOBILE"
  | "PREMIUM_RATE"
  | "TOLL_FREE"
  | "SHARED_COST"
  | "VOIP"
  | "PERSONAL_NUMBER"
  | "PAGER"
  | "UAN"
  | "VOICEMAIL";

/** A phone number in E.164 form, with the parts needed for routing and masking. */
export interface PhoneNumber {
  /** `+` followed by 7 to 15 digits. */
  readonly e164: string;
  /** Digits only, without `+`, e.g. `"1"` or `"65"`. */
  readonly countryCallingCode: string;
  /** ISO 3166-1 alpha-2, e.g. `"SG"`, when the numbering plan tells. */
  readonly regionCode?: string;
  /** Whether the number belongs to an assigned range of its country's numbering plan. */
  readonly valid: boolean;
  readonly type?: NumberType;
  /** True when the number came without `+` and its country code was read from its leading digits: a guess. */
  readonly guessedCountry?: boolean;
}

/** The text the user receives by SMS: the caller's rendered message, or a plain fallback. */
export function smsText(request: OtpRequest): string {
  return request.messageText ?? `Your verification code is ${request.otpCode}`;
}
