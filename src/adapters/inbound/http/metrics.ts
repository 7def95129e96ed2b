import type { Route } from "./router.ts";

/** Counts every hook outcome, so operators see refusals and failures by reason without reading logs. */
export interface DeliveryMetrics {
  record(channel: string, outcome: string, reason: string | undefined): void;
  /** `GET /metrics` in Prometheus' text format. Only counts: no number, id or code ever appears here. */
  readonly route: Route;
}

/** Counters in this process; a Prometheus scrape (or a human with curl) reads them. */
export function createDeliveryMetrics(): DeliveryMetrics {
  const counts = new Map<string, number>();
  return {
    record(channel, outcome, reason) {
      const labels = `channel="${channel}",outcome="${outcome}",reason="${reason ?? ""}"`;
      counts.set(labels, (counts.get(labels) ?? 0) + 1);
    },
    route: {
      method: "GET",
      path: "/metrics",
      handler: () => {
        const lines = [
          "# HELP otp_deliveries_total Passcode requests by channel, outcome and reason (refusals included).",
          "# TYPE otp_deliveries_total counter",
          ...[...counts].sort().map(([labels, count]) => `otp_deliveries_total{${labels}} ${count}`),
        ];
        return new Response(`${lines.join("\n")}\n`, {
          headers: { "content-type": "text/plain; version=0.0.4" },
        });
      },
    },
  };
}
