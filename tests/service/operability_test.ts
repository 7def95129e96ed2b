// What an operator on call sees: log levels by what must be done, the caller's address on refusals, latency
// histograms and counts on /metrics, and a readiness probe that names what is missing.
import assert from "node:assert/strict";
import { readinessRoute } from "../../src/http/readiness.ts";
import { VERSION } from "../../src/version.ts";
import { startFakeIssuer } from "../fakes/oauth_issuer.ts";
import { oktaRequest, signInRequest } from "../support/okta_requests.ts";
import { seriesValue } from "../support/prometheus.ts";
import { actionOf, withService } from "../support/service.ts";

type LogEvent = Record<string, unknown>;
const eventsOf = (lines: string[]): LogEvent[] => lines.map((line) => JSON.parse(line));

Deno.test("[operability] levels say what to do: 8x8 refusing the key is error, an abuse refusal warn, a delivery info", () =>
  withService({ env: { RATE_LIMIT_PER_NUMBER: "1/10m" } }, async (service) => {
    const send = (eventId: string) =>
      service.post(JSON.stringify(signInRequest({ phoneNumber: "+14155552671" }, eventId)));
    assert.equal((await actionOf(await send("evt-level-1"))).status, "SUCCESSFUL");
    assert.equal((await actionOf(await send("evt-level-2"))).status, "FAILED"); // rate limited
    service.fake.answerNext("unauthenticated");
    const other = JSON.stringify(signInRequest({ phoneNumber: "+6591234567" }, "evt-level-3"));
    assert.equal((await actionOf(await service.post(other))).status, "FAILED");
    const hooks = eventsOf(service.logLines).filter((event) => event.event === "hook");
    assert.deepEqual(hooks.map((event) => [event.level, event.outcome, event.reason]), [
      ["info", "delivered", undefined],
      ["warn", "failed", "rate_limited"],
      ["error", "failed", "provider_auth_failed"],
    ]);
  }));

Deno.test("[operability] refusals are logged at warn with the caller's address, 404 and 405 included", () =>
  withService({}, async (service) => {
    const unauthorized = await service.post(JSON.stringify(oktaRequest()), { authorization: "wrong" });
    assert.equal(unauthorized.status, 401);
    await unauthorized.body?.cancel();
    for (
      const [method, path, status] of [["GET", "/wp-login.php", 404], [
        "GET",
        "/telephony-hook",
        405,
      ]] as const
    ) {
      const response = await fetch(`${service.url}${path}`, { method });
      assert.equal(response.status, status);
      await response.body?.cancel();
    }
    const refusals = eventsOf(service.logLines).filter((event) => /refused/.test(String(event.event)));
    assert.deepEqual(refusals.map((event) => [event.level, event.event, event.status, event.client]), [
      ["warn", "hook_refused", 401, "127.0.0.1"],
      ["warn", "request_refused", 404, "127.0.0.1"],
      ["warn", "request_refused", 405, "127.0.0.1"],
    ]);
  }));

Deno.test("[operability] behind a trusted proxy the caller is the address it forwarded; otherwise the header is ignored", async () => {
  const forwarded = { authorization: "wrong", "x-forwarded-for": "203.0.113.9, 198.51.100.7" };
  for (const [trustProxy, expected] of [["true", "198.51.100.7"], ["false", "127.0.0.1"]]) {
    await withService({ env: { TRUST_PROXY: trustProxy } }, async (service) => {
      const response = await service.post(JSON.stringify(oktaRequest()), forwarded);
      await response.body?.cancel();
      const refusal = eventsOf(service.logLines).find((event) => event.event === "hook_refused");
      assert.equal(refusal?.client, expected, `TRUST_PROXY=${trustProxy}`);
    });
  }
});

Deno.test("[operability] /metrics has latency histograms with buckets, and replays counted apart from deliveries", () =>
  withService({}, async (service) => {
    const body = JSON.stringify(oktaRequest({ phoneNumber: "+14155552671" }, "evt-metrics-1"));
    for (let index = 0; index < 2; index++) await actionOf(await service.post(body)); // the second is a replay
    const metrics = await service.metrics();
    const hookRoute = { http_route: "/telephony-hook", http_request_method: "POST" };
    assert.equal(seriesValue(metrics, "http_server_request_duration_count", hookRoute), 2);
    assert.equal(
      seriesValue(metrics, "http_server_request_duration_bucket", { ...hookRoute, le: "+Inf" }),
      2,
    );
    assert.ok(
      seriesValue(metrics, "http_server_request_duration_bucket", { ...hookRoute, le: "0.005" }) !==
        undefined,
    );
    assert.equal(
      seriesValue(metrics, "http_client_request_duration_count", {
        http_response_status_code: "200",
      }),
      1,
    );
    const sms = { channel: "sms", outcome: "delivered", country_calling_code: "1" };
    assert.equal(seriesValue(metrics, "otp_deliveries_total", sms), 1);
    assert.equal(seriesValue(metrics, "otp_replays_total", { channel: "sms", outcome: "delivered" }), 1);
    assert.equal(
      seriesValue(metrics, "otp_build_info", { service_version: VERSION }),
      1,
    );
    assert.ok((seriesValue(metrics, "process_memory_usage") ?? 0) > 0);
    // Nothing a caller sends becomes a label: not the number, not the event id, not an invented method.
    const odd = await fetch(`${service.url}/telephony-hook`, { method: "BREW" });
    await odd.body?.cancel();
    const after = await service.metrics();
    assert.doesNotMatch(after, /4155552671|evt-metrics-1|BREW/);
    assert.ok(
      seriesValue(after, "http_server_request_duration_count", { http_request_method: "_OTHER" }),
    );
  }));

Deno.test("[operability] /readyz is not ready while the KV store cannot be reached, and says so", async () => {
  const kv = await Deno.openKv(":memory:");
  await withService({ kv }, async (service) => {
    const ready = await fetch(`${service.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: "ready" });
    kv.close(); // every operation now fails, as with a database that went away
    const answer = await fetch(`${service.url}/readyz`);
    assert.equal(answer.status, 503);
    assert.deepEqual(await answer.json(), { status: "not_ready", reasons: ["kv_unreachable"] });
    const health = await fetch(`${service.url}/healthz`);
    assert.equal(health.status, 200, "liveness does not depend on the store");
    await health.body?.cancel();
  });
});

Deno.test("[operability] /readyz is not ready until the OAuth issuer's keys have been fetched once", async () => {
  const issuer = await startFakeIssuer();
  issuer.failKeys(true);
  try {
    await withService({
      env: {
        OKTA_AUTH_SECRET: undefined,
        OKTA_AUTH_SECRET_PREVIOUS: undefined,
        OKTA_OAUTH_ISSUER: issuer.issuer,
        OKTA_OAUTH_AUDIENCE: issuer.audience,
      },
    }, async (service) => {
      const answer = await fetch(`${service.url}/readyz`);
      assert.equal(answer.status, 503);
      assert.deepEqual(await answer.json(), { status: "not_ready", reasons: ["oauth_keys_unavailable"] });
    });
  } finally {
    await issuer.close();
  }
});

Deno.test("[operability] a flood of /readyz runs the checks once a second, not once a probe", async () => {
  let clock = 0;
  let checks = 0;
  const route = readinessRoute([{ name: "kv_unreachable", isReady: () => (checks++, true) }], {
    now: () => clock,
  });
  const probe = async () =>
    (await route.handler(new Request("http://x/readyz"), { scheme: "http", facts: {} })).status;
  for (let index = 0; index < 1_000; index++) assert.equal(await probe(), 200);
  assert.equal(checks, 1);
  clock = 1_000;
  await probe();
  assert.equal(checks, 2);
});
