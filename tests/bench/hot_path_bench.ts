// `deno bench`: the pieces of one hook request, to see where its time goes.
import { trace } from "../../src/observability/otel_api.ts";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { createHeaderSecretAuth } from "../../src/okta/header_secret.ts";
import { parseOktaRequest } from "../../src/okta/okta_request.ts";
import { toOktaResponse } from "../../src/okta/okta_response.ts";
import { createJsonLogger } from "../../src/observability/json_logger.ts";
import { createOtelMetrics } from "../../src/observability/otel_metrics.ts";
import { startMetrics } from "../../src/observability/metrics_sdk.ts";
import { createMemoryRateLimiter } from "../../src/stores/memory_rate_limiter.ts";
import { createMemoryReplayStore } from "../../src/stores/memory_replay_store.ts";
import { createLibphonenumberParser } from "../../src/phone_numbers/libphonenumber.ts";
import { tracer } from "../../src/observability/tracing.ts";
import { createDeadlines } from "../../src/http/deadline.ts";
import type { Delivery } from "../../src/domain/delivery.ts";
import { testDeadline } from "../support/fakes.ts";
import { oktaRequest } from "../support/okta_requests.ts";

const SECRET = "bench-okta-secret-0123456789";
const auth = createHeaderSecretAuth({ headerName: "authorization", secrets: [SECRET] });
const headers = new Headers({ authorization: SECRET, "content-type": "application/json" });
const bodyText = JSON.stringify(oktaRequest({ phoneNumber: "+14155552671" }, "bench-event"));
const bodyBytes = new TextEncoder().encode(bodyText);
const parsed = JSON.parse(bodyText);
const phones = createLibphonenumberParser();
const delivery: Delivery = {
  outcome: "delivered",
  provider: "8x8",
  transactionId: "bda3d56d-1424-e711-813c-06ed3428fe67",
  metadata: { status: "QUEUED", encoding: "GSM7" },
};
const logger = createJsonLogger({ write: () => {} });
const traceIds = { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "00f067aa0ba902b7" };
const tracedLogger = createJsonLogger({ write: () => {}, traceContext: () => traceIds });
const metrics = createOtelMetrics({ own: startMetrics(undefined, "bench").meter });
const COUNTRIES = Array.from({ length: 20 }, (_, index) => String(index + 30));
const limiter = createMemoryRateLimiter();
const replays = createMemoryReplayStore();
const startDeadline = createDeadlines(2_500, () => performance.now());
let counter = 0;

Deno.bench("deadline: started and given up, one shared timer", { group: "hot path" }, () => {
  startDeadline().dispose();
});
// What the deadline cost before: a timer per request, through Deno's (Node-compatible) setTimeout.
Deno.bench(
  "deadline: a setTimeout and clearTimeout per request, for comparison",
  { group: "hot path" },
  () => {
    const controller = new AbortController();
    clearTimeout(setTimeout(() => controller.abort(), 2_500));
  },
);
Deno.bench("auth: header secret, constant-time compare", { group: "hot path" }, () => {
  auth.verify(headers);
});
Deno.bench("read: UTF-8 decode and JSON.parse of Okta's body", { group: "hot path" }, () => {
  JSON.parse(new TextDecoder().decode(bodyBytes));
});
Deno.bench("validate: zod parse into the domain request", { group: "hot path" }, () => {
  parseOktaRequest(parsed);
});
Deno.bench("phone: libphonenumber parse, validity and type", { group: "hot path" }, () => {
  phones.parse("+14155552671");
});
Deno.bench("abuse: one sliding-window take", { group: "hot path" }, async () => {
  await limiter.take([{
    key: `per_number:+1415555${counter++ % 10_000}`,
    limit: { max: 5, windowMs: 900_000 },
  }]);
});
Deno.bench("dedup: claim and complete in memory", { group: "hot path" }, async () => {
  const id = `e${counter++}`;
  await replays.claim(id, testDeadline());
  await replays.complete(id, { delivery, maskedDestination: "+1******2671" });
});
Deno.bench("map: toOktaResponse and JSON.stringify", { group: "hot path" }, () => {
  JSON.stringify(toOktaResponse(delivery, "bench-event"));
});
Deno.bench("log: one hook line, formatted", { group: "hot path" }, () => {
  logger.info("hook", { eventId: "bench-event", channel: "sms", destination: "+1******2671", durationMs: 3 });
});
Deno.bench("log: one hook line with the active trace's ids", { group: "hot path" }, () => {
  tracedLogger.info("hook", {
    eventId: "bench-event",
    channel: "sms",
    destination: "+1******2671",
    durationMs: 3,
  });
});
// What the metrics record for one delivered SMS: the server and client histograms and the outcome counter, over
// 20 destination countries so the attribute sets are not all one.
Deno.bench(
  "metrics: one request's records (server + 8x8 histograms, outcome counter)",
  { group: "hot path" },
  () => {
    const country = COUNTRIES[counter++ % COUNTRIES.length]!;
    metrics.serverRequest({ method: "POST", route: "/telephony-hook", status: 200, scheme: "http" }, 0.012);
    metrics.clientRequest(
      { method: "POST", serverAddress: "sms.8x8.com", serverPort: 443, status: 200 },
      0.009,
    );
    metrics.delivery({ channel: "sms", outcome: "delivered", countryCallingCode: country, replayed: false });
  },
);
Deno.bench(
  "trace: a span with attributes (nothing registered: the shared no-op span)",
  { group: "hot path" },
  () => {
    const span = tracer.startSpan("deliver_otp", { attributes: { "otp.channel": "sms" } });
    span.setAttribute("otp.outcome", "delivered");
    span.end();
    trace.getActiveSpan();
  },
);

// The SDK as the service runs it (a batch processor), exporting to nowhere: the cost of recording, not sending.
const discard: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};
const sdk = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard)] });
const recordingTracer = sdk.getTracer("bench");

Deno.bench("trace: a recorded span with attributes (SDK, batch processor, export discarded)", {
  group: "hot path",
}, () => {
  const span = recordingTracer.startSpan("deliver_otp", { attributes: { "otp.channel": "sms" } });
  span.setAttribute("otp.outcome", "delivered");
  span.setAttribute("otp.destination", "+1******2671");
  span.end();
});
