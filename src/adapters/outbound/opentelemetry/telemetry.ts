import {
  context,
  diag,
  type DiagLogger,
  DiagLogLevel,
  propagation,
  ProxyTracerProvider,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import type { TelemetryConfig } from "../../../config.ts";
import type { HttpSpans } from "../../tracing.ts";
import type { Logger } from "../json_log/json_logger.ts";

/** `sdk`: our SDK exports OTLP/HTTP. `runtime`: Deno's built-in OpenTelemetry does. `off`: nothing is exported. */
export type TracingMode = "sdk" | "runtime" | "off";

/** The tracing that started, and how to flush it. */
export interface Telemetry {
  readonly mode: TracingMode;
  readonly httpSpans: HttpSpans;
  /** Exports every span still buffered; resolves when done. */
  shutdown(): Promise<void>;
}

const SERVICE_NAME = "okta-8x8-telephony-hook";

/**
 * Sets up tracing once, at start-up. Deno's runtime OpenTelemetry (`OTEL_DENO=true`, always on on Deno Deploy)
 * claims the global API before any of our code runs; then our SDK cannot register, and our spans flow into the
 * runtime's tracer instead. Without an endpoint the SDK stays off, so a plain start prints no export errors.
 */
export function startTelemetry(config: TelemetryConfig, version: string, logger: Logger): Telemetry {
  if (!(trace.getTracerProvider() instanceof ProxyTracerProvider)) {
    logger.info("tracing", {
      mode: "runtime",
      note:
        "Deno's built-in OpenTelemetry is active: spans go to the runtime's exporter, this service's SDK is not used",
    });
    return { mode: "runtime", httpSpans: "runtime", shutdown: () => Promise.resolve() };
  }
  if (config.disabled || config.tracesEndpoint === undefined) {
    const why = config.disabled ? "OTEL_SDK_DISABLED is true" : "no OTEL_EXPORTER_OTLP_ENDPOINT is set";
    logger.info("tracing", { mode: "off", note: why });
    return { mode: "off", httpSpans: "service", shutdown: () => Promise.resolve() };
  }

  diag.setLogger(diagnostics(logger), DiagLogLevel.WARN);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      "service.name": config.serviceName ?? config.resourceAttributes["service.name"] ?? SERVICE_NAME,
      "service.version": version,
    }),
    sampler: samplerFor(config),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesEndpoint }))],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  logger.info("tracing", {
    mode: "sdk",
    endpoint: withoutCredentials(config.tracesEndpoint),
    sampler: config.sampler,
  });
  return { mode: "sdk", httpSpans: "service", shutdown: () => provider.shutdown() };
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

// The SDK's own warnings (an unreachable collector, say) become log lines instead of vanishing.
function diagnostics(logger: Logger): DiagLogger {
  const warn = (message: string) => logger.warn("tracing_problem", { message: message.slice(0, 300) });
  const ignore = () => {};
  return { error: warn, warn, info: ignore, debug: ignore, verbose: ignore };
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
