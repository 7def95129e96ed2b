// What the adapters share for tracing. They use only the API's global registry (otel_api.ts): whichever SDK is
// registered (ours, Deno's runtime, or none) receives the spans, and with none every call is a cheap no-op.
import type { Context, Span, SpanContext } from "@opentelemetry/api";
import {
  context,
  getTracer,
  isSpanContextValid,
  NOOP_SPAN,
  propagation,
  SpanStatusCode,
  trace,
} from "./otel_api.ts";

import { VERSION } from "../version.ts";

/** The instrumentation scope of this service's spans and metrics. */
export const INSTRUMENTATION_SCOPE = "okta-8x8-telephony-hook";

/** The tracer every adapter uses; it follows whatever provider is registered, even if registered later. */
export const tracer = getTracer(INSTRUMENTATION_SCOPE, VERSION);

/**
 * Who makes the HTTP SERVER and CLIENT spans. `service`: our adapters (with our SDK, or none). `runtime`: Deno's
 * built-in OpenTelemetry already traces `Deno.serve` and `fetch`, so our adapters add to those spans instead.
 */
export type HttpSpans = "service" | "runtime";

/**
 * True for a no-op span: the one every call returns while no SDK is registered (tracing off), or one like it.
 * Nothing it carries can reach anyone, so the hot path skips the context and headers it would otherwise
 * propagate. A span a sampler dropped is not one: its context is valid and must still travel, so that children
 * are dropped alike.
 */
export function isNoopSpan(span: Span): boolean {
  return span === NOOP_SPAN || (!span.isRecording() && !isSpanContextValid(span.spanContext()));
}

/**
 * Runs `work` with `span` active under `parent` and ends the span when the work settles; a throw marks it failed.
 * The no-op span (tracing off) is skipped: `work` runs alone, with no context to build or carry.
 */
export function runInSpan<T>(span: Span, parent: Context, work: () => Promise<T>): Promise<T> {
  if (isNoopSpan(span)) return work();
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await work();
    } catch (error) {
      markFailed(span, "internal_error", error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The active span's ids, for log lines; undefined outside a trace (and always with tracing off). */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** Reads W3C trace headers from a `Headers` object. */
export const headersGetter = {
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
  keys: (carrier: Headers) => [...carrier.keys()],
};

/** The W3C `traceparent` (and `tracestate`) for a call made under `span`. */
export function traceHeaders(span: Span): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return carrier;
}

/**
 * Marks a span as failed with a stable reason. The exception event carries only the error's class and that
 * reason: raw messages can quote URLs or input, and traces must stay free of personal data.
 */
export function markFailed(span: Span, reason: string, error?: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
  span.setAttribute("error.type", reason);
  if (error !== undefined) {
    span.recordException({ name: error instanceof Error ? error.name : "Error", message: reason });
  }
}

/** The W3C `traceparent` of a span, or undefined when tracing is off (the span is not a real one). */
export function traceParentOf(span: Span | undefined): string | undefined {
  const context = span?.spanContext();
  if (context === undefined || !isSpanContextValid(context)) return undefined;
  return `00-${context.traceId}-${context.spanId}-0${context.traceFlags & 1}`;
}

/** Reads a W3C `traceparent` back into a span context, for a link. */
export function spanContextOf(traceParent: string | undefined): SpanContext | undefined {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceParent ?? "");
  if (match === null) return undefined;
  const context = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16),
    isRemote: true,
  };
  return isSpanContextValid(context) ? context : undefined;
}
