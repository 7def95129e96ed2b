import type { DiagLogger, Meter } from "@opentelemetry/api";
import { NOOP_METER, registeredMeter, runtimeTelemetryActive } from "./otel_api.ts";
import { type HttpSpans, INSTRUMENTATION_SCOPE } from "./tracing.ts";
import type { Logger } from "./json_logger.ts";

/** The samplers of the OpenTelemetry specification's `OTEL_TRACES_SAMPLER`. */
export const SAMPLERS = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;

/** OTLP over HTTP, as protobuf (the specification's default) or JSON. */
export type OtlpProtocol = "http/protobuf" | "http/json";

/** Where one signal goes: an OTLP endpoint, the console (for a look while developing), or nowhere. */
export type SignalExport =
  | { readonly kind: "otlp"; readonly endpoint: string; readonly protocol: OtlpProtocol }
  | { readonly kind: "console" }
  | { readonly kind: "none" };

/** The propagators this service knows, by their `OTEL_PROPAGATORS` names. */
export const PROPAGATORS = ["tracecontext", "baggage"] as const;
export type Propagator = (typeof PROPAGATORS)[number];

/** Tracing and metrics settings, from the OpenTelemetry specification's standard variables. */
export interface TelemetryConfig {
  /** `OTEL_SDK_DISABLED=true`: this service registers no SDK. */
  readonly disabled: boolean;
  /** `OTEL_TRACES_EXPORTER` and the OTLP variables; `otlp` without an endpoint is `none`, so a plain start is quiet. */
  readonly traces: SignalExport;
  /** `OTEL_METRICS_EXPORTER` likewise; `/metrics` is served either way when `METRICS_AUTH` is set. */
  readonly metrics: SignalExport;
  /** `OTEL_METRIC_EXPORT_INTERVAL`, in milliseconds. */
  readonly metricExportIntervalMs: number;
  /** `OTEL_PROPAGATORS`: which headers carry trace context in and out. */
  readonly propagators: readonly Propagator[];
  /** `OTEL_SERVICE_NAME`; it wins over a `service.name` in the resource attributes. */
  readonly serviceName?: string;
  /** From `OTEL_RESOURCE_ATTRIBUTES`, e.g. `deployment.environment.name=prod`. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: (typeof SAMPLERS)[number];
  /** The ratio for the `traceidratio` samplers, 0 to 1. */
  readonly samplerRatio: number;
}

/** The telemetry that started, and how to flush it. */
export interface Telemetry {
  readonly httpSpans: HttpSpans;
  /**
   * The meters instruments are made on: always this service's own (read by `/metrics`, and pushed over OTLP when
   * configured), and in runtime mode Deno's too, so the counters reach the platform's metrics view.
   */
  readonly meters: Meters;
  /** Everything the own meter holds, in Prometheus' text format. */
  prometheusText(): Promise<string>;
  /** Exports every span and metric still buffered; resolves when done. */
  shutdown(): Promise<void>;
}

/** This service's meter, and in runtime mode Deno's. */
export interface Meters {
  readonly own: Meter;
  readonly runtime?: Meter;
}

/**
 * Sets up tracing and metrics once, at start-up. Deno's runtime OpenTelemetry (`OTEL_DENO=true`, always on on
 * Deno Deploy) claims the global API before any of our code runs; then our tracer provider cannot register, and
 * our spans flow into the runtime's tracer instead. Without an endpoint nothing is pushed, so a plain start
 * prints no export errors.
 */
export async function startTelemetry(
  config: TelemetryConfig,
  version: string,
  logger: Logger,
  options: { readonly scrape: boolean } = { scrape: true },
): Promise<Telemetry> {
  const runtime = runtimeTelemetryActive();
  // The trace SDK and the OTLP exporters are loaded only when something is exported: importing them costs start-up
  // time and memory, and a service with tracing off never uses them.
  // Under Deno's runtime OpenTelemetry the runtime exports traces and metrics itself (our counters reach it
  // through its meter): a push of our own would send every count twice.
  const exporting = !config.disabled && !runtime &&
    (config.metrics.kind !== "none" || config.traces.kind !== "none");
  const sdk = exporting ? await import("./exporters.ts") : undefined;

  const metricsPush = config.disabled
    ? undefined
    : sdk?.metricReaderFor(config.metrics, config.metricExportIntervalMs);
  // The metrics SDK too is loaded only when someone reads the metrics: a scrape of /metrics or a push. Otherwise
  // the instruments are no-ops (and, under Deno's runtime OpenTelemetry, the runtime's meter).
  const pipeline = options.scrape || metricsPush !== undefined
    ? (await import("./metrics_sdk.ts")).startMetrics(config, version, metricsPush)
    : undefined;
  if (sdk !== undefined || pipeline !== undefined) {
    // Only an SDK of ours reports problems through the API's `diag`; the bundle holding it is loaded already.
    // Its types are its source's: a static import says so with `@ts-types`, a dynamic one with a cast.
    const { diag, DiagLogLevel } = await import(
      "./otel_sdk.bundle.js"
    ) as unknown as typeof import("./otel_sdk.ts");
    diag.setLogger(diagnostics(logger), DiagLogLevel.WARN);
  }
  const prometheusText = pipeline?.prometheusText ?? (() => Promise.resolve(""));
  const meters = {
    own: pipeline?.meter ?? NOOP_METER,
    runtime: runtime ? registeredMeter(INSTRUMENTATION_SCOPE, version) : undefined,
  };
  const shutdownMetrics = pipeline?.shutdown ?? (() => Promise.resolve());
  logger.info("metrics", {
    export: runtime ? "runtime" : config.disabled ? "none" : describe(config.metrics),
    intervalMs: metricsPush === undefined ? undefined : config.metricExportIntervalMs,
  });

  if (runtime) {
    logger.info("tracing", {
      mode: "runtime",
      note:
        "Deno's built-in OpenTelemetry is active: spans and logs go to the runtime's exporter, this service's SDK is not used",
    });
    return { httpSpans: "runtime", meters, prometheusText, shutdown: shutdownMetrics };
  }
  const exporter = config.disabled ? undefined : sdk?.spanExporterFor(config.traces);
  if (exporter === undefined) {
    const why = config.disabled ? "OTEL_SDK_DISABLED is true" : describe(config.traces);
    logger.info("tracing", { mode: "off", note: why });
    return { httpSpans: "service", meters, prometheusText, shutdown: shutdownMetrics };
  }

  const { shutdown: shutdownTraces } = sdk!.startTraceSdk(config, version, exporter);
  logger.info("tracing", {
    mode: "sdk",
    export: describe(config.traces),
    sampler: config.sampler,
    propagators: config.propagators.join(",") || "none",
  });
  return {
    httpSpans: "service",
    meters,
    prometheusText,
    shutdown: async () => void await Promise.all([shutdownTraces(), shutdownMetrics()]),
  };
}

function describe(signal: SignalExport): string {
  return signal.kind === "otlp"
    ? `otlp ${signal.protocol} ${withoutCredentials(signal.endpoint)}`
    : signal.kind === "none"
    ? "none (no OTEL_EXPORTER_OTLP_ENDPOINT, or the exporter is none)"
    : signal.kind;
}

// The SDK's own warnings (an unreachable collector, say) become log lines instead of vanishing.
function diagnostics(logger: Logger): DiagLogger {
  const warn = (message: string) => logger.warn("telemetry_problem", { message: message.slice(0, 300) });
  const ignore = () => {};
  return { error: warn, warn, info: ignore, debug: ignore, verbose: ignore };
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
