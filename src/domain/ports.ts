// The core's whole outside world. Adapters implement these; only main.ts decides which one serves.
import type { Delivery } from "./delivery.ts";
import type { PhoneNumber } from "./otp_request.ts";

/** One SMS ready to hand to a provider. */
export interface SmsMessage {
  /** Passed to the provider as its client reference, so receipts and support cases can be joined. */
  readonly eventId: string;
  readonly to: PhoneNumber;
  readonly text: string;
  /** The provider should drop the message if it cannot send it by then. */
  readonly expiresAt?: Date;
}

/** Sends one SMS. Resolves to a `Delivery` for every expected outcome; rejects only on bugs. */
export interface SmsSender {
  send(message: SmsMessage, signal: AbortSignal): Promise<Delivery>;
}

/** Turns user-entered phone numbers into E.164. */
export interface PhoneNumbers {
  /** Returns `undefined` when the input cannot be a dialable international number. */
  parse(raw: string): PhoneNumber | undefined;
}

/** Everything `deliverOtp` needs from outside the core. */
export interface DeliveryPorts {
  readonly phoneNumbers: PhoneNumbers;
  readonly sms: SmsSender;
}
