import type { Attributes, Counter, Histogram, Meter } from "@opentelemetry/api";
import type { ClientRequest, DeliveryCount, ServerRequest, ServiceMetrics } from "./metrics.ts";

// The semantic conventions' advice for HTTP durations, in seconds.
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
// Methods outside this set are recorded as `_OTHER`, as the conventions say: a caller must not mint series.
const KNOWN_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
]);

interface Instruments {
  readonly deliveries: Counter;
  readonly replays: Counter;
  readonly receipts: Counter;
  readonly storeFailures: Counter;
  readonly storeEvictions: Counter;
  readonly serverDuration?: Histogram;
  readonly clientDuration: Histogram;
}

/**
 * The service's metrics on OpenTelemetry instruments. Attributes are bounded sets (channel, outcome, reason,
 * country calling code, matched route): never a number, an id or anything a caller can choose freely.
 * `runtime`, when Deno's own OpenTelemetry runs, receives the same counts; it measures `Deno.serve` itself, so
 * the server duration is recorded on `own` only.
 */
export function createOtelMetrics(meters: { readonly own: Meter; readonly runtime?: Meter }): ServiceMetrics {
  const own = instrumentsOn(meters.own, true);
  const all = meters.runtime === undefined ? [own] : [own, instrumentsOn(meters.runtime, false)];
  const add = (pick: (instruments: Instruments) => Counter, attributes: Attributes) => {
    for (const instruments of all) pick(instruments).add(1, attributes);
  };
  return {
    delivery(count: DeliveryCount) {
      const attributes: Attributes = { channel: count.channel, outcome: count.outcome };
      if (count.reason !== undefined) attributes.reason = count.reason;
      if (count.rule !== undefined) attributes.rule = count.rule;
      if (count.countryCallingCode !== undefined) attributes.country_calling_code = count.countryCallingCode;
      add((instruments) => count.replayed ? instruments.replays : instruments.deliveries, attributes);
    },
    receipt: (state, countryCallingCode) =>
      add((instruments) => instruments.receipts, { state, country_calling_code: countryCallingCode }),
    storeFailure: (store, operation) => add((instruments) => instruments.storeFailures, { store, operation }),
    storeEarlyEviction: (store) => add((instruments) => instruments.storeEvictions, { store }),
    serverRequest(request: ServerRequest, seconds: number) {
      const attributes: Attributes = {
        "http.request.method": KNOWN_METHODS.has(request.method) ? request.method : "_OTHER",
        "http.response.status_code": request.status,
        "url.scheme": request.scheme,
      };
      if (request.route !== undefined) attributes["http.route"] = request.route;
      if (request.status >= 500) attributes["error.type"] = String(request.status);
      own.serverDuration!.record(seconds, attributes);
    },
    clientRequest(request: ClientRequest, seconds: number) {
      const attributes: Attributes = {
        "http.request.method": request.method,
        "server.address": request.serverAddress,
        "server.port": request.serverPort,
      };
      if (request.status !== undefined) attributes["http.response.status_code"] = request.status;
      if (request.errorType !== undefined) attributes["error.type"] = request.errorType;
      for (const instruments of all) instruments.clientDuration.record(seconds, attributes);
    },
  };
}

function instrumentsOn(meter: Meter, withServerDuration: boolean): Instruments {
  return {
    deliveries: meter.createCounter("otp.deliveries", {
      description:
        "Passcode requests by channel, outcome, reason and country calling code; replays not included.",
    }),
    replays: meter.createCounter("otp.replays", {
      description: "Repeated Okta eventIds answered from the first delivery's result, without a new send.",
    }),
    receipts: meter.createCounter("otp.receipts", {
      description: "Carrier delivery receipts by state and destination country calling code.",
    }),
    storeFailures: meter.createCounter("otp.store.failures", {
      description: "Store operations that failed; the request went on without them.",
    }),
    storeEvictions: meter.createCounter("otp.store.early_evictions", {
      description: "Entries the memory budget dropped before their time.",
    }),
    serverDuration: withServerDuration
      ? meter.createHistogram("http.server.request.duration", {
        description: "Duration of HTTP server requests.",
        unit: "s",
        advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS },
      })
      : undefined,
    clientDuration: meter.createHistogram("http.client.request.duration", {
      description: "Duration of HTTP client requests to 8x8, one per attempt.",
      unit: "s",
      advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS },
    }),
  };
}
