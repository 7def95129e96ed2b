// The OpenTelemetry SDK parts used only when something is exported: the trace SDK and the OTLP exporters.
// telemetry.ts imports this module dynamically, so a service with tracing off never loads them. They come from
// one bundled file (otel_sdk.ts says why).
import type { MetricReader, PushMetricExporter } from "@opentelemetry/sdk-metrics";
import type { Sampler, SpanExporter } from "@opentelemetry/sdk-trace-base";
// @ts-types="./otel_sdk.ts"
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  AsyncLocalStorageContextManager,
  BasicTracerProvider,
  BatchSpanProcessor,
  CompositePropagator,
  ConsoleMetricExporter,
  ConsoleSpanExporter,
  context,
  OTLPMetricExporterJson,
  OTLPMetricExporterProto,
  OTLPTraceExporterJson,
  OTLPTraceExporterProto,
  ParentBasedSampler,
  PeriodicExportingMetricReader,
  propagation,
  trace,
  TraceIdRatioBasedSampler,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from "./otel_sdk.bundle.js";
import { serviceResource } from "./resource.ts";
import type { SignalExport, TelemetryConfig } from "./telemetry.ts";

/** Registers the trace SDK globally, exporting through `exporter` in batches. */
export function startTraceSdk(
  config: TelemetryConfig,
  version: string,
  exporter: SpanExporter,
): { shutdown(): Promise<void> } {
  const resource = serviceResource(config, version);
  const provider = new BasicTracerProvider({
    resource,
    sampler: samplerFor(config),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  if (config.propagators.length > 0) {
    propagation.setGlobalPropagator(
      new CompositePropagator({
        propagators: config.propagators.map((name) =>
          name === "baggage" ? new W3CBaggagePropagator() : new W3CTraceContextPropagator()
        ),
      }),
    );
  }
  trace.setGlobalTracerProvider(provider);
  return { shutdown: () => provider.shutdown() };
}

export function spanExporterFor(signal: SignalExport): SpanExporter | undefined {
  switch (signal.kind) {
    case "none":
      return undefined;
    case "console":
      return new ConsoleSpanExporter();
    case "otlp": {
      const OTLPTraceExporter = signal.protocol === "http/json"
        ? OTLPTraceExporterJson
        : OTLPTraceExporterProto;
      return new OTLPTraceExporter({ url: signal.endpoint });
    }
  }
}

export function metricReaderFor(signal: SignalExport, intervalMs: number): MetricReader | undefined {
  if (signal.kind === "none") return undefined;
  let exporter: PushMetricExporter;
  if (signal.kind === "console") {
    exporter = new ConsoleMetricExporter();
  } else {
    const OTLPMetricExporter = signal.protocol === "http/json"
      ? OTLPMetricExporterJson
      : OTLPMetricExporterProto;
    exporter = new OTLPMetricExporter({ url: signal.endpoint });
  }
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: intervalMs,
    exportTimeoutMillis: Math.min(30_000, intervalMs),
  });
}

function samplerFor(config: TelemetryConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio;
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio });
  }
}
