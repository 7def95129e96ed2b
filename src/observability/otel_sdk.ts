// Everything this service uses from OpenTelemetry's SDK packages, in one module. It is the source of
// `otel_sdk.bundle.js` (`deno task bundle:otel-sdk`), which is what the service imports: the packages are many
// small CommonJS files, and loading them one by one took about 100 ms of every start with an SDK, against about
// 35 ms for the same code in one file. Their types still come from here, through `@ts-types`.
export { context, diag, DiagLogLevel, propagation, trace } from "@opentelemetry/api";
export { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
export { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
export { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
export {
  ConsoleMetricExporter,
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
export {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
export { OTLPTraceExporter as OTLPTraceExporterProto } from "@opentelemetry/exporter-trace-otlp-proto";
export { OTLPTraceExporter as OTLPTraceExporterJson } from "@opentelemetry/exporter-trace-otlp-http";
export { OTLPMetricExporter as OTLPMetricExporterProto } from "@opentelemetry/exporter-metrics-otlp-proto";
export { OTLPMetricExporter as OTLPMetricExporterJson } from "@opentelemetry/exporter-metrics-otlp-http";
export { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
