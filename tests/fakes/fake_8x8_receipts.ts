// Delivery receipts as 8x8 posts them: the documented `outbound_message_status_changed` envelope, with a status
// object checked against the `message-status-v1` schema from 8x8's common models, and 8x8's retry on non-2xx.
import { type Schema, violations } from "./json_schema.ts";

const COMMON = JSON.parse(
  Deno.readTextFileSync(new URL("../contracts/8x8/common_models.json", import.meta.url)),
);
const MESSAGE_STATUS: Schema = COMMON.components.schemas["message-status-v1"];

/** The message a receipt is about, as the fake 8x8 remembers sending it. */
export interface SentMessage {
  readonly umid: string;
  readonly subAccountId: string;
  readonly body: { destination: string; source?: string; clientMessageId?: string };
}

/** Where receipts go, as configured in 8x8 Connect. */
export interface ReceiptTarget {
  readonly url: string;
  /** The static `Authorization` value 8x8 sends. */
  readonly authorization: string;
}

const DETAILS: Record<string, string> = {
  delivered: "delivered_to_recipient",
  undelivered: "rejected_by_operator",
  sent: "sent_to_operator",
};

/** The receipt body 8x8 would post for `message` reaching `state`. */
export function receiptFor(message: SentMessage, state: string, errorCode?: number): Record<string, unknown> {
  const status = {
    state,
    detail: DETAILS[state],
    timestamp: new Date().toISOString(),
    ...(errorCode === undefined ? {} : { errorCode, errorMessage: "Rejected by the operator" }),
  };
  const problems = violations(COMMON, MESSAGE_STATUS, status);
  if (problems.length > 0) throw new Error(`the fake built a status 8x8 would not send: ${problems}`);
  return {
    namespace: "SMS",
    eventType: "outbound_message_status_changed",
    description: "SMS outbound message delivery receipt",
    payload: {
      umid: message.umid,
      clientMessageId: message.body.clientMessageId,
      subAccountId: message.subAccountId,
      source: message.body.source,
      destination: message.body.destination,
      status,
      price: { total: 0.0075, perSms: 0.0075, currencyCode: "USD" },
      smsCount: 1,
    },
  };
}

/**
 * Posts a receipt and, like 8x8, posts it again after a non-2xx or a failed connection (8x8 waits 1, 10, 30 and
 * 90 s; tests pass shorter waits). Returns every status received.
 */
export async function postReceipt(
  target: ReceiptTarget,
  body: unknown,
  retryDelaysMs: readonly number[] = [1_000, 10_000, 30_000, 90_000],
): Promise<number[]> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt <= retryDelaysMs.length; attempt++) {
    try {
      const response = await fetch(target.url, {
        method: "POST",
        headers: { authorization: target.authorization, "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      await response.body?.cancel();
      statuses.push(response.status);
      if (response.ok) return statuses;
    } catch {
      statuses.push(0);
    }
    if (attempt < retryDelaysMs.length) {
      await new Promise((resolve) => setTimeout(resolve, retryDelaysMs[attempt]));
    }
  }
  return statuses;
}
