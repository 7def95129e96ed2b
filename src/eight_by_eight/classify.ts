// What 8x8's APIs share: error answers and failed calls turned into a Delivery plus whether a retry is safe.
// Each sender reads its own API's success answers (sms_sender.ts, voice_caller.ts).
import {
  type Delivery,
  type DeliveryMetadata,
  failed,
  type FailureReason,
  type UnknownReason,
} from "../domain/delivery.ts";
import { type HttpAnswer, MalformedAnswerError, NotSentError } from "../http/pooled_client.ts";

/** The name Okta shows as the provider of every message this adapter sends. */
export const EIGHT_BY_EIGHT = "8x8";

/** One attempt's outcome. `retryable` is true only when 8x8 certainly did not take the message. */
export interface Classified {
  readonly delivery: Delivery;
  readonly retryable: boolean;
  /** 8x8's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number;
}

/** The parts of an 8x8 error body worth keeping, whatever the API's own shape. */
export interface ErrorDetail {
  readonly code: unknown;
  readonly message: unknown;
  readonly errorId: unknown;
}

/**
 * Classifies a non-200 answer. 429 and 503 say the request was turned away before it was processed, so sending
 * again cannot double a message; a 502 or 504 comes from a gateway after 8x8 may have taken it: unknown.
 */
export function classifyError(response: HttpAnswer, detail: ErrorDetail, reason: FailureReason): Classified {
  const status = response.status;
  if (status === 502 || status === 504) {
    return { delivery: unknown("gateway_error", { httpStatus: String(status) }), retryable: false };
  }
  const retryAfter = response.headers.get("retry-after");
  const metadata = compact({
    httpStatus: status,
    code: detail.code,
    message: redactNumbers(detail.message),
    errorId: detail.errorId,
    retryAfter,
  });
  const delivery = failed(reason, { provider: EIGHT_BY_EIGHT, metadata });
  return { delivery, retryable: status === 429 || status === 503, retryAfterMs: retryAfterMs(retryAfter) };
}

/** Classifies a `fetch` that threw: aborted by the deadline, never connected, or cut off midway. */
export function classifyFetchError(error: unknown, signal: AbortSignal): Classified {
  if (signal.aborted) return { delivery: unknown("timeout", {}), retryable: false };
  // Nothing of the request left the process: a clean failure, and safe to retry.
  if (error instanceof NotSentError) {
    const metadata = { error: error.stage === "connect" ? "connect_failed" : "closed_before_send" };
    return {
      delivery: failed("provider_unavailable", { provider: EIGHT_BY_EIGHT, metadata }),
      retryable: true,
    };
  }
  if (error instanceof MalformedAnswerError) {
    return { delivery: unknown("unreadable_response", { error: "not_http" }), retryable: false };
  }
  // A refused connection never carried the message: a clean failure, and safe to retry.
  const cause = error instanceof Error ? String((error.cause as Error | undefined)?.message ?? "") : "";
  if (cause.includes("(Connect)")) {
    const metadata = { error: "connect_failed" };
    return {
      delivery: failed("provider_unavailable", { provider: EIGHT_BY_EIGHT, metadata }),
      retryable: true,
    };
  }
  return { delivery: unknown("network_error", {}), retryable: false };
}

// Retry-After in seconds, as 8x8 sends it; an HTTP date is accepted too.
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** An outcome that cannot be told, from 8x8. */
export function unknown(reason: UnknownReason, metadata: DeliveryMetadata): Delivery {
  return { outcome: "unknown", reason, provider: EIGHT_BY_EIGHT, metadata };
}

/** The body as a JSON object, or undefined when it is not one. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** Provider text ends up in logs and in Okta's System Log: bound every value and drop the missing ones. */
export function compact(fields: Record<string, unknown>): DeliveryMetadata {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== "") metadata[key] = String(value).slice(0, 200);
  }
  return metadata;
}

/** 8x8 messages are fixed texts today; blank out anything number-like in case one ever quotes the destination. */
export function redactNumbers(value: unknown): unknown {
  return typeof value === "string" ? value.replace(/\+?\d[\d\s-]{5,}\d/g, "[number]") : value;
}
