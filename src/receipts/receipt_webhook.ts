import { SpanKind, SpanStatusCode } from "../observability/otel_api.ts";
import { z } from "zod";
import type { DeliveryLedger } from "../domain/ports.ts";
import { FAILED_STATES, type ReceiptResult, type ReceiptStatus } from "../domain/receipts.ts";
import type { Logger } from "../observability/json_logger.ts";
import { spanContextOf, tracer } from "../observability/tracing.ts";
import { readJson } from "../http/body.ts";
import { errorResponse, jsonResponse } from "../http/json_response.ts";
import type { ServiceMetrics } from "../observability/metrics.ts";
import type { Handler } from "../http/router.ts";
import { sameInConstantTime } from "../http/constant_time.ts";

/** What the receipt webhook needs. */
export interface ReceiptWebhookDeps {
  /** The `Authorization` value configured on the webhook in 8x8 Connect. */
  readonly authorization: string;
  readonly ledger: DeliveryLedger;
  readonly logger: Logger;
  readonly metrics?: ServiceMetrics;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
}

const MAX_BODY_BYTES = 64 * 1024;

/** The states 8x8 documents for a message's status (`sms_api.json`, the receipt's `status.state`). */
export const RECEIPT_STATES = [
  "unknown",
  "queued",
  "failed",
  "sent",
  "delivered",
  "undelivered",
  "read",
  "ok",
  "error",
] as const;

// 8x8's delivery receipt: only what is needed is read; the destination number in it is never read at all. Built
// when the webhook is, not at import: a service without receipts does not pay for it at start-up.
const receiptSchema = () =>
  z.object({
    eventType: z.string().max(128),
    payload: z.object({
      umid: z.string().min(1).max(128),
      status: z.object({
        // Only 8x8's documented states: anything else is refused, so invented states cannot grow /metrics.
        state: z.string().min(1).max(64).transform((state) => state.toLowerCase()).pipe(
          z.enum(RECEIPT_STATES),
        ),
        detail: z.string().max(128).optional(),
        errorCode: z.number().int().optional(),
        timestamp: z.string().max(64).optional(),
      }),
    }),
  });

/**
 * `POST /8x8/delivery-receipts`: 8x8's `outbound_message_status_changed` webhook. It is answered at once with a
 * 2xx, because 8x8 retries anything else (after 1, 10, 30 and 90 s), and it is idempotent per message and state,
 * because those retries arrive. A new receipt is logged once, counted, and traced as a span linked to the hook
 * request that sent the SMS, so Jaeger shows the carrier's verdict next to the send.
 */
export function createReceiptWebhook(deps: ReceiptWebhookDeps): Handler {
  const now = deps.now ?? Date.now;
  const schema = receiptSchema();
  return async (request, client) => {
    if (!sameInConstantTime(request.headers.get("authorization") ?? "", deps.authorization)) {
      deps.logger.warn("receipt_refused", { status: 401, reason: "unauthorized", client: client.address });
      return errorResponse(401, "unauthorized", "Missing or wrong credentials");
    }
    const read = await readJson(request, MAX_BODY_BYTES);
    if (!read.ok) return errorResponse(read.status, read.code, read.summary);
    const parsed = schema.safeParse(read.body);
    if (!parsed.success) {
      const causes = parsed.error.issues.map((issue) => ({
        location: issue.path.join("."),
        problem: issue.message,
      }));
      return errorResponse(400, "invalid_request", "The body is not an 8x8 delivery receipt", { causes });
    }
    const { eventType, payload } = parsed.data;
    // Other webhook types may share the URL: acknowledge them so 8x8 does not retry, and do nothing.
    if (eventType !== "outbound_message_status_changed") return jsonResponse({ status: "ignored" });

    const status: ReceiptStatus = {
      state: payload.status.state,
      detail: payload.status.detail,
      errorCode: payload.status.errorCode,
      observedAt: payload.status.timestamp,
    };
    const at = now();
    const result = await deps.ledger.recordReceipt(payload.umid, status, at);
    if (result.kind === "recorded") report(result, at);
    if (result.kind === "unknown") {
      deps.logger.warn("receipt_unknown", { umid: payload.umid, state: status.state });
    }
    if (result.kind === "stale") {
      deps.logger.info("receipt_stale", {
        umid: payload.umid,
        state: status.state,
        kept: result.record.status?.state,
      });
    }
    return jsonResponse({ status: result.kind });
  };

  function report({ record }: Extract<ReceiptResult, { kind: "recorded" }>, at: number): void {
    const status = record.status!;
    const link = spanContextOf(record.traceParent);
    const span = tracer.startSpan("8x8 delivery receipt", {
      kind: SpanKind.INTERNAL,
      links: link === undefined ? [] : [{ context: link, attributes: { "link.reason": "delivery of" } }],
      attributes: {
        "okta.event_id": record.eventId,
        "eightbyeight.umid": record.transactionId,
        "otp.destination": record.maskedDestination,
        "otp.country_calling_code": record.countryCallingCode,
        "dlr.state": status.state,
        "dlr.seconds_after_send": Math.round((at - record.sentAt) / 1000),
      },
    });
    if (status.detail !== undefined) span.setAttribute("dlr.detail", status.detail);
    if (status.errorCode !== undefined) span.setAttribute("dlr.error_code", status.errorCode);
    if (FAILED_STATES.has(status.state)) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: status.state });
    }
    span.end();
    deps.metrics?.receipt(status.state, record.countryCallingCode);
    deps.logger.info("delivery_receipt", {
      eventId: record.eventId,
      umid: record.transactionId,
      destination: record.maskedDestination,
      state: status.state,
      detail: status.detail,
      errorCode: status.errorCode,
      secondsAfterSend: Math.round((at - record.sentAt) / 1000),
    });
  }
}
