// Our reader of the API's global registry must agree with `@opentelemetry/api` itself: what an SDK registers
// through the API is what our spans, contexts and headers use, and with nothing registered nothing happens.
import assert from "node:assert/strict";
import { context as apiContext, propagation as apiPropagation, trace as apiTrace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  context,
  getTracer,
  isSpanContextValid,
  NOOP_SPAN,
  propagation,
  ROOT_CONTEXT,
  runtimeTelemetryActive,
  SpanKind,
  trace,
} from "../../src/observability/otel_api.ts";

Deno.test("[otel api] with nothing registered: the no-op span, work runs as is, no header travels", async () => {
  const span = getTracer("test", "1").startSpan("nothing registered");
  assert.equal(span, NOOP_SPAN);
  assert.equal(isSpanContextValid(span.spanContext()), false);
  assert.equal(await context.with(trace.setSpan(ROOT_CONTEXT, span), () => Promise.resolve(7)), 7);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  assert.deepEqual(carrier, {});
  assert.equal(runtimeTelemetryActive(), false, "this test runs without OTEL_DENO");
});

Deno.test("[otel api] an SDK registered through the API, even after the tracer was made, gets our spans and contexts", async () => {
  const tracer = getTracer("test", "1"); // made before anything is registered, as the service's is
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  apiContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  apiPropagation.setGlobalPropagator(new W3CTraceContextPropagator());
  apiTrace.setGlobalTracerProvider(provider);
  try {
    const parent = tracer.startSpan("parent", { kind: SpanKind.SERVER });
    assert.notEqual(parent, NOOP_SPAN);
    const carrier: Record<string, string> = {};
    await context.with(trace.setSpan(context.active(), parent), async () => {
      await Promise.resolve(); // the context survives an await, as the API's own would
      assert.equal(trace.getActiveSpan(), parent);
      assert.equal(apiTrace.getActiveSpan(), parent, "the API sees the context we set");
      tracer.startSpan("child", { kind: SpanKind.CLIENT }).end();
      propagation.inject(context.active(), carrier);
    });
    parent.end();

    const [child, ended] = exporter.getFinishedSpans();
    assert.equal(ended!.name, "parent");
    assert.equal(child!.parentSpanContext?.spanId, parent.spanContext().spanId);
    assert.equal(carrier.traceparent, `00-${parent.spanContext().traceId}-${parent.spanContext().spanId}-01`);
    const extracted = propagation.extract(ROOT_CONTEXT, carrier, {
      get: (from, key) => from[key],
      keys: (from) => Object.keys(from),
    });
    assert.equal(apiTrace.getSpan(extracted)?.spanContext().spanId, parent.spanContext().spanId);
  } finally {
    apiTrace.disable();
    apiContext.disable();
    apiPropagation.disable();
    await provider.shutdown();
  }
  assert.equal(tracer.startSpan("after").isRecording(), false, "a provider taken away is followed too");
});

Deno.test("[otel api] a span context is valid with hex ids of the right length, not all zeros, as the API says", () => {
  const valid = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1 };
  assert.equal(isSpanContextValid(valid), true);
  assert.equal(isSpanContextValid({ ...valid, traceId: valid.traceId.toUpperCase() }), true);
  for (
    const invalid of [
      { ...valid, traceId: "0".repeat(32) },
      { ...valid, spanId: "0".repeat(16) },
      { ...valid, traceId: valid.traceId.slice(1) },
      { ...valid, spanId: `${valid.spanId.slice(1)}g` },
    ]
  ) {
    assert.equal(isSpanContextValid(invalid), false, JSON.stringify(invalid));
    assert.equal(apiTrace.isSpanContextValid(invalid), false, "the API agrees");
  }
});
