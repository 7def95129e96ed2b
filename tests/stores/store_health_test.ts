// Store trouble is loud once and then counted: an outage under load is one line a minute and a metric.
import assert from "node:assert/strict";
import { createStoreHealth } from "../../src/stores/store_health.ts";
import { createOtelMetrics } from "../../src/observability/otel_metrics.ts";
import { startMetrics } from "../../src/observability/metrics_sdk.ts";
import { capturedLogger } from "../support/fakes.ts";
import { oktaRequest } from "../support/okta_requests.ts";
import { actionOf, withService } from "../support/service.ts";
import { seriesValue } from "../support/prometheus.ts";

Deno.test("[store health] the first failure logs at error with its store, operation and error; then one line a minute", async () => {
  let clock = 0;
  const logger = capturedLogger();
  const pipeline = startMetrics();
  const metrics = createOtelMetrics({ own: pipeline.meter });
  const health = createStoreHealth({ logger, count: metrics, now: () => clock });
  const problem = new TypeError("Value too large (max 65536 bytes)");
  for (let index = 0; index < 1_000; index++) {
    clock = index * 10; // ten seconds of failures, every 10 ms
    health.failed("rate_limits", "count", problem);
  }
  clock = 60_000;
  health.failed("rate_limits", "count", problem);
  health.evictedEarly("replays");
  const events = logger.events();
  assert.deepEqual(events.map((event) => [event.level, event.event, event.occurrences]), [
    ["error", "store_failed", 1],
    ["error", "store_failed", 1_000],
    ["warn", "store_memory_full", 1],
  ]);
  assert.equal(events[0]!.store, "rate_limits");
  assert.equal(events[0]!.operation, "count");
  assert.equal(events[0]!.error, "TypeError");
  assert.equal(events[0]!.message, "Value too large (max 65536 bytes)");
  assert.match(String(events[0]!.effect), /fail-open/);

  const exposition = await pipeline.prometheusText();
  assert.equal(
    seriesValue(exposition, "otp_store_failures_total", { store: "rate_limits", operation: "count" }),
    1001,
  );
  assert.equal(seriesValue(exposition, "otp_store_early_evictions_total", { store: "replays" }), 1);
});

Deno.test("[store health] a ledger that cannot be written costs the receipt join, is logged and counted, and the passcode still goes", () =>
  withService({
    env: { EIGHTBYEIGHT_DLR_AUTH: "Bearer receipts-token-0123456789" },
    ledger: {
      remember: () => Promise.reject(new Error("database is unavailable")),
      recordReceipt: () => Promise.resolve({ kind: "unknown" }),
      lookup: () => Promise.resolve(undefined),
    },
  }, async (service) => {
    const action = await actionOf(await service.post(JSON.stringify(oktaRequest({}, "evt-ledger-down"))));
    assert.equal(action.status, "SUCCESSFUL");
    const failure = service.logLines.map((line) => JSON.parse(line)).find((line) =>
      line.event === "store_failed"
    );
    assert.equal(failure?.store, "ledger");
    assert.equal(failure?.operation, "remember");
    assert.equal(failure?.level, "error");
    const metrics = await service.metrics();
    assert.equal(
      seriesValue(metrics, "otp_store_failures_total", { store: "ledger", operation: "remember" }),
      1,
    );
  }));
