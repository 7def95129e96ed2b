// The hot path skips span context work only for the API's no-op span; a span a sampler dropped must keep it.
import assert from "node:assert/strict";
import { trace } from "@opentelemetry/api";
import { AlwaysOffSampler, BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { isNoopSpan, tracer } from "../../src/observability/tracing.ts";

Deno.test("[tracing] with no SDK registered, the span every call returns is the no-op one", () => {
  const span = tracer.startSpan("no sdk");
  assert.equal(isNoopSpan(span), true);
  span.end();
});

Deno.test("[tracing] a recording span, and a span a sampler dropped, are not no-op spans", () => {
  // Providers used directly, never registered: other tests in this process keep the global no-op API.
  const recording = new BasicTracerProvider().getTracer("test").startSpan("kept");
  const dropped = new BasicTracerProvider({ sampler: new AlwaysOffSampler() }).getTracer("test").startSpan(
    "dropped",
  );
  const remote = trace.wrapSpanContext({
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: 0,
  });
  assert.equal(recording.isRecording(), true);
  assert.equal(dropped.isRecording(), false);
  for (const span of [recording, dropped, remote]) assert.equal(isNoopSpan(span), false);
  recording.end();
  dropped.end();
});
