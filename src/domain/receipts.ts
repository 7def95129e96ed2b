// Delivery receipts: the carrier's verdict on a sent passcode, joined to the request that sent it.

/** What a provider learned from the carrier about one message. */
export interface ReceiptStatus {
  /** The provider's state, e.g. `delivered`, `undelivered`, `rejected`, `expired`. */
  readonly state: string;
  readonly detail?: string;
  readonly errorCode?: number;
  /** When the provider observed it, as the provider sent it. */
  readonly observedAt?: string;
}

/** What is remembered of a sent passcode until its receipts arrive: nothing personal. */
export interface SentRecord {
  readonly transactionId: string;
  readonly eventId: string;
  readonly maskedDestination: string;
  readonly countryCallingCode: string;
  /** Milliseconds since the epoch. */
  readonly sentAt: number;
  /** The sending request's trace position (W3C traceparent), so a receipt can point back to it. */
  readonly traceParent?: string;
}

/** A sent passcode with the latest receipt recorded for it. */
export interface DeliveryRecord extends SentRecord {
  readonly status?: ReceiptStatus;
  readonly updatedAt?: number;
}

/** The outcome of recording one receipt. */
export type ReceiptResult =
  /** The first receipt with this state for this message. */
  | { readonly kind: "recorded"; readonly record: DeliveryRecord }
  /** The same state again: the provider retried; nothing changes. */
  | { readonly kind: "duplicate"; readonly record: DeliveryRecord }
  /** A step on the way arriving after a final state (retries come out of order): the final state stays. */
  | { readonly kind: "stale"; readonly record: DeliveryRecord }
  /** No passcode with this id was sent by this service (or it is older than the receipt window). */
  | { readonly kind: "unknown" };

/** States after which the carrier will say nothing more; the rest are steps on the way. */
export const FINAL_STATES: ReadonlySet<string> = new Set([
  "delivered",
  "read",
  "undelivered",
  "failed",
  "error",
]);

/** States that mean the user did not get the passcode. */
export const FAILED_STATES: ReadonlySet<string> = new Set(["undelivered", "failed", "error"]);

/** Whether a receipt in `state` may replace the recorded status: a step on the way never replaces a final state. */
export function replaces(recorded: ReceiptStatus | undefined, state: string): boolean {
  return recorded === undefined || !FINAL_STATES.has(recorded.state) || FINAL_STATES.has(state);
}

/**
 * What one receipt does to a sent message's record, the same wherever the record is stored: a state already
 * recorded is a duplicate (the provider retried), a step on the way after a final state is stale, anything else is
 * recorded. `seen` says whether a state was recorded before; the store keeps the states and writes the result.
 */
export function applyReceipt(
  record: DeliveryRecord,
  seen: (state: string) => boolean,
  status: ReceiptStatus,
  at: number,
): Exclude<ReceiptResult, { kind: "unknown" }> {
  if (seen(status.state)) return { kind: "duplicate", record };
  if (!replaces(record.status, status.state)) return { kind: "stale", record };
  return { kind: "recorded", record: { ...record, status, updatedAt: at } };
}
