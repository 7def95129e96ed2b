// The metrics SDK and its Prometheus serializer: loaded only when someone reads the metrics (a scrape of /metrics
// or an OTLP push), since importing them is a large part of start-up.
import type { Meter } from "@opentelemetry/api";
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { serviceResource } from "./resource.ts";
import { INSTRUMENTATION_SCOPE } from "./tracing.ts";

/** A meter provider read by `/metrics`, and pushed from when `push` is given. */
export interface MetricsPipeline {
  readonly meter: Meter;
  prometheusText(): Promise<string>;
  shutdown(): Promise<void>;
}

/** Metrics for `/metrics` only: what a service without telemetry settings (a test's, say) counts with. */
export function startMetrics(
  settings: Parameters<typeof serviceResource>[0] = { resourceAttributes: {} },
  version = "",
  push?: MetricReader,
): MetricsPipeline {
  const resource = serviceResource(settings, version || undefined);
  const scrape = new PullReader();
  const provider = new MeterProvider({ resource, readers: push === undefined ? [scrape] : [scrape, push] });
  const serializer = new PrometheusSerializer();
  return {
    meter: provider.getMeter(INSTRUMENTATION_SCOPE, version),
    prometheusText: async () => serializer.serialize((await scrape.collect()).resourceMetrics),
    shutdown: () => provider.shutdown(),
  };
}

// A reader nobody pushes from: `/metrics` collects from it when scraped.
class PullReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}
