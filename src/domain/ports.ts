// The core's whole outside world. Adapters implement these; service.ts, the composition root, picks which serve.
import type { RateLimit } from "./abuse_rules.ts";
import type { Delivery, DeliveryAttempt } from "./delivery.ts";
import type { PhoneNumber } from "./otp_request.ts";
import type { DeliveryRecord, ReceiptResult, ReceiptStatus, SentRecord } from "./receipts.ts";

/** The time a request has left. Every call to the outside world stays inside it. */
export interface Deadline {
  /** Aborts when the time is up. */
  readonly signal: AbortSignal;
  /** Milliseconds left, never negative. */
  remainingMs(): number;
}

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
  send(message: SmsMessage, deadline: Deadline): Promise<Delivery>;
}

/** One voice call that reads a passcode out. */
export interface VoiceCall {
  /** The caller's id for this request, for the provider's records. */
  readonly eventId: string;
  readonly to: PhoneNumber;
  readonly otpCode: string;
  /** The user's locale as the caller gave it (`EN-US`, `en`), for the language of the call. */
  readonly locale?: string;
  /** The provider should not place the call after this. */
  readonly expiresAt?: Date;
}

/** Places a voice call. Resolves to a `Delivery` for every expected outcome; rejects only on bugs. */
export interface VoiceCaller {
  call(call: VoiceCall, deadline: Deadline): Promise<Delivery>;
}

/** Turns user-entered phone numbers into E.164. */
export interface PhoneNumbers {
  /** Returns `undefined` when the input cannot be a dialable international number. */
  parse(raw: string): PhoneNumber | undefined;
}

/** One subject counted against one limit, e.g. `per_number:+6591234567` at 5 in 15 minutes. */
export interface LimitTake {
  readonly key: string;
  readonly limit: RateLimit;
}

/** Counts passcodes per subject in sliding windows, shared by every instance that shares the store. */
export interface RateLimiter {
  /**
   * Counts one passcode against every take, all or none: -1 when each had room and each was counted, or the
   * index of a take whose limit is reached, and then nothing was counted. A store can do it in one write.
   */
  take(takes: readonly LimitTake[]): Promise<number>;
}

/** Joins delivery receipts to the passcodes this service sent, for as long as the provider sends receipts. */
export interface DeliveryLedger {
  /** Remembers a sent passcode under the provider's id. */
  remember(sent: SentRecord): Promise<void>;
  /** Records a receipt, once per message and state, however often the provider retries it. */
  recordReceipt(transactionId: string, status: ReceiptStatus, at: number): Promise<ReceiptResult>;
  /** The passcode sent for an event, with its latest receipt. */
  lookup(eventId: string): Promise<DeliveryRecord | undefined>;
}

/** What a replay store says about an event id. */
export type Claim =
  /** This request owns the id and must deliver, then `complete` or `release` it. */
  | { readonly kind: "claimed" }
  /** The id was delivered before: answer with the same result. */
  | { readonly kind: "replay"; readonly attempt: DeliveryAttempt }
  /** Another request still owns the id and did not finish within this request's deadline. */
  | { readonly kind: "in_flight" };

/** A claim that also counted the passcode against its limits: `refused` is -1, or the index of a full limit. */
export type CountedClaim = Exclude<Claim, { kind: "claimed" }> | {
  readonly kind: "claimed";
  readonly refused: number;
};

/** Remembers which event ids were delivered, so a repeated request never sends twice. */
export interface ReplayStore {
  /** Claims `eventId`, or returns the earlier result, waiting (within the deadline) for a copy still in flight. */
  claim(eventId: string, deadline: Deadline): Promise<Claim>;
  /**
   * Offered by a store that shares its database with the rate limiter: claims `eventId` and, only when this
   * request owns it, counts the passcode against `takes` (all or none, as `RateLimiter.take`), in one write.
   */
  claimAndTake?(eventId: string, deadline: Deadline, takes: readonly LimitTake[]): Promise<CountedClaim>;
  /** Records the result of a claimed id for later copies. */
  complete(eventId: string, attempt: DeliveryAttempt): Promise<void>;
  /** Gives a claimed id up without a result, after a bug, so a later copy may try again. */
  release(eventId: string): Promise<void>;
}

/** Everything `deliverOtp` needs from outside the core. */
export interface DeliveryPorts {
  readonly phoneNumbers: PhoneNumbers;
  /** Milliseconds since the epoch, to tell an expired passcode. */
  readonly now: () => number;
  readonly sms: SmsSender;
  /** Absent when voice is not configured: voice requests then fail, and never become an SMS. */
  readonly voice?: VoiceCaller;
  /** Remembers event ids, so a repeated request never sends twice. */
  readonly replays: ReplayStore;
  /**
   * Counts against the rules' rate limits; needed only when the rules have any, and not used when `replays`
   * offers `claimAndTake`.
   */
  readonly limiter?: RateLimiter;
}
