// The OpenTelemetry SDK parts used only when something is exported: the trace SDK and the OTLP exporters.
// telemetry.ts imports this module dynamically, so a service with tracing off never loads them; of the four
// OTLP exporters only the protocol chosen is loaded (the protobuf one alone costs about 40 ms of start-up).
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { serviceResource } from "./resource.ts";
import {
  ConsoleMetricExporter,
  type MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
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

export async function spanExporterFor(signal: SignalExport): Promise<SpanExporter | undefined> {
  switch (signal.kind) {
    case "none":
      return undefined;
    case "console":
      return new ConsoleSpanExporter();
    case "otlp": {
      const { OTLPTraceExporter } = signal.protocol === "http/json"
        ? await import("@opentelemetry/exporter-trace-otlp-http")
        : await import("@opentelemetry/exporter-trace-otlp-proto");
      return new OTLPTraceExporter({ url: signal.endpoint });
    }
  }
}

export async function metricReaderFor(
  signal: SignalExport,
  intervalMs: number,
): Promise<MetricReader | undefined> {
  if (signal.kind === "none") return undefined;
  let exporter: PushMetricExporter;
  if (signal.kind === "console") {
    exporter = new ConsoleMetricExporter();
  } else {
    const { OTLPMetricExporter } = signal.protocol === "http/json"
      ? await import("@opentelemetry/exporter-metrics-otlp-http")
      : await import("@opentelemetry/exporter-metrics-otlp-proto");
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
