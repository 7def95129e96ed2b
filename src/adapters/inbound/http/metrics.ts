import type { Route } from "./router.ts";

/** Counts hook outcomes and delivery receipts, so operators see refusals, failures and carrier verdicts by reason. */
export interface DeliveryMetrics {
  record(channel: string, outcome: string, reason: string | undefined): void;
  /** A carrier's verdict, by state and destination country calling code. */
  recordReceipt(state: string, countryCallingCode: string): void;
  /** A store operation that failed; the request went on without it. */
  storeFailure(store: string, operation: string): void;
  /** An entry the memory budget made go before its time. */
  storeEarlyEviction(store: string): void;
  /** `GET /metrics` in Prometheus' text format. Only counts: no number, id or code ever appears here. */
  readonly route: Route;
}

/** Counters in this process; a Prometheus scrape (or a human with curl) reads them. */
export function createDeliveryMetrics(): DeliveryMetrics {
  const deliveries = new Map<string, number>();
  const receipts = new Map<string, number>();
  const storeFailures = new Map<string, number>();
  const storeEvictions = new Map<string, number>();
  const count = (counts: Map<string, number>, labels: string) =>
    counts.set(labels, (counts.get(labels) ?? 0) + 1);
  const lines = (name: string, counts: Map<string, number>) =>
    [...counts].sort().map(([labels, value]) => `${name}{${labels}} ${value}`);
  return {
    record: (channel, outcome, reason) =>
      void count(deliveries, `channel="${channel}",outcome="${outcome}",reason="${reason ?? ""}"`),
    recordReceipt: (state, countryCallingCode) =>
      void count(receipts, `state="${label(state)}",country_calling_code="${label(countryCallingCode)}"`),
    storeFailure: (store, operation) =>
      void count(storeFailures, `store="${store}",operation="${operation}"`),
    storeEarlyEviction: (store) => void count(storeEvictions, `store="${store}"`),
    route: {
      method: "GET",
      path: "/metrics",
      handler: () => {
        const text = [
          "# HELP otp_deliveries_total Passcode requests by channel, outcome and reason (refusals included).",
          "# TYPE otp_deliveries_total counter",
          ...lines("otp_deliveries_total", deliveries),
          "# HELP otp_receipts_total Carrier delivery receipts by state and destination country calling code.",
          "# TYPE otp_receipts_total counter",
          ...lines("otp_receipts_total", receipts),
          "# HELP otp_store_failures_total Store operations that failed; the request went on without them.",
          "# TYPE otp_store_failures_total counter",
          ...lines("otp_store_failures_total", storeFailures),
          "# HELP otp_store_early_evictions_total Entries the memory budget dropped before their time.",
          "# TYPE otp_store_early_evictions_total counter",
          ...lines("otp_store_early_evictions_total", storeEvictions),
        ].join("\n");
        return new Response(`${text}\n`, { headers: { "content-type": "text/plain; version=0.0.4" } });
      },
    },
  };
}

// Receipt states come from outside: keep a label to plain characters so the exposition format stays valid.
function label(value: string): string {
  return value.replace(/[^\w.-]/g, "_").slice(0, 64);
}
