// The metrics SDK and its Prometheus serializer: loaded only when someone reads the metrics (a scrape of /metrics
// or an OTLP push), since importing them is a large part of start-up. They come from one bundled file
// (otel_sdk.ts says why).
import type { Meter } from "@opentelemetry/api";
import process from "node:process";
import type { ResourceMetrics } from "@opentelemetry/sdk-metrics";
// @ts-types="./otel_sdk.ts"
import { MeterProvider, MetricReader, PrometheusSerializer } from "./otel_sdk.bundle.js";
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
  let serializer: { serialize(metrics: ResourceMetrics): string } | undefined;
  const meter = provider.getMeter(INSTRUMENTATION_SCOPE, version);
  describeProcess(meter, version);
  return {
    meter,
    async prometheusText() {
      serializer ??= new PrometheusSerializer();
      const { resourceMetrics } = await scrape.collect();
      return serializer.serialize(resourceMetrics);
    },
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

// Build information and the process basics, read when metrics are collected: no cost per request.
function describeProcess(meter: Meter, version: string): void {
  meter.createObservableGauge("otp.build.info", {
    description: "Always 1; the attributes say which build runs.",
  }).addCallback((result) =>
    result.observe(1, { "service.version": version, "deno.version": Deno.version.deno })
  );
  meter.createObservableUpDownCounter("process.memory.usage", {
    description: "The amount of physical memory in use.",
    unit: "By",
  }).addCallback((result) => result.observe(process.memoryUsage.rss()));
  meter.createObservableCounter("process.cpu.time", { description: "Total CPU seconds.", unit: "s" })
    .addCallback((result) => {
      const { user, system } = process.cpuUsage();
      result.observe(user / 1e6, { "cpu.mode": "user" });
      result.observe(system / 1e6, { "cpu.mode": "system" });
    });
  const started = performance.now();
  meter.createObservableGauge("process.uptime", { description: "Seconds since start.", unit: "s" })
    .addCallback((result) => result.observe((performance.now() - started) / 1000));
}
