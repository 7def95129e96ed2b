import { context, type Span, SpanKind, trace } from "@opentelemetry/api";
import {
  type Delivery,
  type DeliveryMetadata,
  failed,
  type FailureReason,
  type NotDelivered,
} from "../../../domain/delivery.ts";
import type { SmsMessage, SmsSender } from "../../../domain/ports.ts";
import { type HttpSpans, markFailed, traceHeaders, tracer } from "../../tracing.ts";

/** The name Okta shows as the provider of every message this adapter sends. */
export const EIGHT_BY_EIGHT = "8x8";

/** Settings for `createEightByEightSms`. */
export interface EightByEightSmsOptions {
  /** A regional host such as `https://sms.8x8.com`, without a trailing path. */
  readonly baseUrl: string;
  readonly subaccountId: string;
  readonly apiKey: string;
  /** Sender ID or virtual number; 8x8 uses the subaccount's default when absent. */
  readonly source?: string;
  readonly userAgent?: string;
  readonly fetch?: typeof fetch;
  /** Who makes the HTTP CLIENT span: this adapter (default) or Deno's runtime instrumentation of `fetch`. */
  readonly httpSpans?: HttpSpans;
}

/**
 * Sends SMS through 8x8's `POST /api/v1/subaccounts/{id}/messages` and classifies every answer.
 * Each call is a CLIENT span carrying the W3C `traceparent` to 8x8 (or, when Deno's runtime traces `fetch`, an
 * INTERNAL span around the runtime's own), with 8x8's `umid` or error code: never the number, text or key.
 */
export function createEightByEightSms(options: EightByEightSmsOptions): SmsSender {
  const url = `${options.baseUrl.replace(/\/+$/, "")}/api/v1/subaccounts/${
    encodeURIComponent(options.subaccountId)
  }/messages`;
  const headers = {
    "authorization": `Bearer ${options.apiKey}`,
    "content-type": "application/json",
    "accept": "application/json",
    "user-agent": options.userAgent ?? "okta-8x8-telephony-hook",
  };
  const doFetch = options.fetch ?? fetch;
  const ownSpan = (options.httpSpans ?? "service") === "service";
  const { hostname, port, protocol } = new URL(url);
  const spanName = ownSpan ? "POST" : "8x8 send sms";
  const spanOptions = {
    kind: ownSpan ? SpanKind.CLIENT : SpanKind.INTERNAL,
    attributes: {
      "http.request.method": "POST",
      "server.address": hostname,
      "server.port": Number(port) || (protocol === "https:" ? 443 : 80),
      "url.full": url,
    },
  };

  async function post(message: SmsMessage, span: Span, signal: AbortSignal): Promise<Delivery> {
    const body = JSON.stringify({
      source: options.source,
      destination: message.to.e164,
      text: message.text,
      encoding: "AUTO",
      clientMessageId: message.eventId,
      expiry: message.expiresAt?.toISOString(),
    });
    let response: Response;
    let text: string;
    try {
      // Deno's runtime injects the trace headers itself when it traces fetch; doing it too would send two.
      const requestHeaders = ownSpan ? { ...headers, ...traceHeaders(span) } : headers;
      response = await doFetch(url, { method: "POST", headers: requestHeaders, body, signal });
      text = await response.text();
    } catch (error) {
      const delivery = classifyFetchError(error, signal);
      markFailed(span, delivery.reason, error);
      return delivery;
    }
    span.setAttribute("http.response.status_code", response.status);
    return classifyResponse(response, text);
  }

  return {
    async send(message: SmsMessage, signal: AbortSignal): Promise<Delivery> {
      const span = tracer.startSpan(spanName, spanOptions);
      try {
        const delivery = await context.with(
          trace.setSpan(context.active(), span),
          () => post(message, span, signal),
        );
        recordOnSpan(span, delivery);
        return delivery;
      } finally {
        span.end();
      }
    },
  };
}

// What 8x8 answered, as far as it is safe to keep: ids and codes only.
function recordOnSpan(span: Span, delivery: Delivery): void {
  const umid = delivery.outcome === "delivered" ? delivery.transactionId : delivery.metadata.umid;
  if (umid !== undefined) span.setAttribute("eightbyeight.umid", umid);
  const { status, code, errorId } = delivery.metadata;
  if (status !== undefined) span.setAttribute("eightbyeight.status", status);
  if (code !== undefined) span.setAttribute("eightbyeight.error_code", code);
  if (errorId !== undefined) span.setAttribute("eightbyeight.error_id", errorId);
  if (delivery.outcome !== "delivered") markFailed(span, delivery.reason);
}

function classifyResponse(response: Response, text: string): Delivery {
  const json = parseJsonObject(text);
  if (response.status === 200) {
    const umid = json?.umid;
    const status = json?.status as Record<string, unknown> | undefined;
    if (typeof umid !== "string" || typeof status?.code !== "string") {
      // 8x8 said 200 but we cannot read what it accepted: the SMS may be on its way.
      return unknown("unreadable_response", { httpStatus: "200" });
    }
    if (status.code === "REJECTED") {
      return failed("provider_rejected", {
        provider: EIGHT_BY_EIGHT,
        metadata: compact({ umid, status: "REJECTED", message: redactNumbers(status.description) }),
      });
    }
    return {
      outcome: "delivered",
      provider: EIGHT_BY_EIGHT,
      transactionId: umid,
      metadata: compact({ status: status.code, encoding: json?.encoding }),
    };
  }
  const metadata = compact({
    httpStatus: response.status,
    code: json?.code,
    message: redactNumbers(json?.message),
    errorId: json?.errorId,
    retryAfter: response.headers.get("retry-after"),
  });
  return failed(reasonForStatus(response.status, json?.code), { provider: EIGHT_BY_EIGHT, metadata });
}

// 8x8's documented error codes: 1002 is "Invalid MSISDN"; 401 is an unknown or revoked API key.
function reasonForStatus(status: number, code: unknown): FailureReason {
  if (status === 400 && code === 1002) return "invalid_phone_number";
  if (status === 401 || status === 403) return "provider_auth_failed";
  if (status === 429) return "provider_rate_limited";
  if (status >= 500) return "provider_unavailable";
  return "provider_rejected";
}

function classifyFetchError(
  error: unknown,
  signal: AbortSignal,
): NotDelivered {
  if (signal.aborted) return unknown("timeout", {});
  // A refused connection never carried the message, so it is a clean failure, not an unknown.
  const cause = error instanceof Error ? String((error.cause as Error | undefined)?.message ?? "") : "";
  if (cause.includes("(Connect)")) {
    return failed("provider_unavailable", {
      provider: EIGHT_BY_EIGHT,
      metadata: { error: "connect_failed" },
    });
  }
  return unknown("network_error", {});
}

function unknown(
  reason: "timeout" | "network_error" | "unreadable_response",
  metadata: DeliveryMetadata,
): Extract<Delivery, { outcome: "unknown" }> {
  return { outcome: "unknown", reason, provider: EIGHT_BY_EIGHT, metadata };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

// Provider text ends up in logs and in Okta's System Log: bound every value and drop the missing ones.
function compact(fields: Record<string, unknown>): DeliveryMetadata {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== "") metadata[key] = String(value).slice(0, 200);
  }
  return metadata;
}

// 8x8 messages are fixed texts today; blank out anything number-like in case one ever quotes the destination.
function redactNumbers(value: unknown): unknown {
  return typeof value === "string" ? value.replace(/\+?\d[\d\s-]{5,}\d/g, "[number]") : value;
}
