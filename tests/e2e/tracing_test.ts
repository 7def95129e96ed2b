// Tracing as an operator sees it: the service process exports OTLP/HTTP to a collector on loopback, and the
// decoded spans must form one trace from Okta's call to 8x8's, carry no personal data, and survive a SIGTERM.
import assert from "node:assert/strict";
import { type Fake8x8, startFake8x8 } from "../fakes/fake_8x8.ts";
import { postReceipt, receiptFor } from "../fakes/fake_8x8_receipts.ts";
import { type ExportedSpan, KIND, type OtlpReceiver, startOtlpReceiver } from "../fakes/otlp_receiver.ts";
import { oktaRequest, PREVIEW_OTP, PREVIEW_PHONE, PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { liveEnvironment, type ServiceProcess, startMain } from "../support/subprocess.ts";

const SECRET = "tracing-okta-secret-7d2e";
const INCOMING_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const INCOMING_PARENT = "00f067aa0ba902b7";

interface Rig {
  readonly fake: Fake8x8;
  readonly receiver: OtlpReceiver;
  readonly service: ServiceProcess;
  hook(body: string, headers?: Record<string, string>): Promise<Response>;
}

async function withRig(env: Record<string, string>, test: (rig: Rig) => Promise<void>) {
  const fake = startFake8x8();
  const receiver = startOtlpReceiver();
  const service = await startMain({
    ...liveEnvironment(fake, SECRET),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=test",
    // Export every 50 ms so tests wait for spans, not for the default 5 s batch.
    OTEL_BSP_SCHEDULE_DELAY: "50",
    ...env,
    // Voice, when a test turns it on, talks to the same fake.
    ...("EIGHTBYEIGHT_VOICE_BASE_URL" in env ? { EIGHTBYEIGHT_VOICE_BASE_URL: fake.url } : {}),
  });
  const hook = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${service.url}/telephony-hook`, {
      method: "POST",
      headers: { authorization: SECRET, "content-type": "application/json", ...headers },
      body,
    });
  let stopped = false;
  try {
    await test({
      fake,
      receiver,
      service: { ...service, stop: () => (stopped = true, service.stop()) },
      hook,
    });
  } finally {
    if (!stopped) await service.stop();
    await fake.close();
    await receiver.close();
  }
  // Whatever the test did, nothing personal or secret may have left the process as telemetry.
  const exported = searchable(receiver.rawBodies);
  for (const secret of [PREVIEW_OTP, PREVIEW_PHONE, "4155552671", SECRET, fake.apiKey, "Your code"]) {
    const at = exported.indexOf(secret);
    assert.ok(at < 0, `an exported payload holds ${secret}: …${exported.slice(at - 120, at + 60)}…`);
  }
}

/**
 * The exported payloads with what is random digits removed: ids, uuids, times and measured values can hold
 * "11111" by chance (a histogram's sum of 0.001111186 s did). Strings and attribute values, where a passcode or
 * a number would leak, stay. Deno's runtime exports indented JSON, so the patterns allow spaces.
 */
function searchable(bodies: readonly string[]): string {
  return bodies.join("\n")
    .replace(/"(traceId|spanId|parentSpanId)"\s*:\s*"[0-9a-fA-F]*"/g, "")
    .replace(/"(\w*UnixNano|count|asInt)"\s*:\s*"\d+"/gi, "")
    .replace(/"(sum|min|max|asDouble)"\s*:\s*-?[\d.]+([eE][+-]?\d+)?/g, "")
    .replace(/"bucketCounts"\s*:\s*\[[^\]]*\]/g, "")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "");
}

Deno.test("[tracing] the personal-data scan ignores measured digits but still sees a passcode anywhere else", () => {
  const measured = searchable([
    `{"sum": 0.001111186, "count": "11111", "timeUnixNano": "1796009854411111665", "bucketCounts": ["11111"]}`,
  ]);
  assert.ok(!measured.includes(PREVIEW_OTP));
  for (
    const leak of [
      `{"key": "otp", "value": {"stringValue": "${PREVIEW_OTP}"}}`,
      `{"key": "otp", "value": {"intValue": "${PREVIEW_OTP}"}}`,
      `{"key": "otp", "value": {"doubleValue": ${PREVIEW_OTP}}}`,
      `{"body": {"stringValue": "Your code is ${PREVIEW_OTP}"}}`,
    ]
  ) assert.ok(searchable([leak]).includes(PREVIEW_OTP), leak);
});

const byKind = (spans: readonly ExportedSpan[], traceId: string, kind: number) =>
  spans.filter((span) => span.traceId === traceId && span.kind === kind);
const completeTrace = (traceId: string) => (spans: readonly ExportedSpan[]) =>
  [KIND.SERVER, KIND.INTERNAL, KIND.CLIENT].every((kind) => byKind(spans, traceId, kind).length > 0);

async function json(response: Response) {
  assert.equal(response.status, 200);
  return await response.json();
}

Deno.test("[tracing] one hook request is one trace: SERVER → INTERNAL → CLIENT, continued from Okta, passed to 8x8", () =>
  withRig({}, async ({ fake, receiver, hook }) => {
    const traceparent = `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`;
    const answer = await json(await hook(PREVIEW_SAMPLE_TEXT, { traceparent }));
    const umid = answer.commands[0].value[0].transactionId;
    await receiver.waitFor(completeTrace(INCOMING_TRACE));

    const [server] = byKind(receiver.spans, INCOMING_TRACE, KIND.SERVER);
    const [internal] = byKind(receiver.spans, INCOMING_TRACE, KIND.INTERNAL);
    const [client] = byKind(receiver.spans, INCOMING_TRACE, KIND.CLIENT);
    assert.ok(server && internal && client);
    assert.equal(server.parentSpanId, INCOMING_PARENT, "the SERVER span continues Okta's trace");
    assert.equal(internal.parentSpanId, server.spanId);
    assert.equal(client.parentSpanId, internal.spanId);
    assert.equal(fake.requests[0]?.headers.get("traceparent"), `00-${INCOMING_TRACE}-${client.spanId}-01`);

    assert.equal(server.name, "POST /telephony-hook");
    assert.deepEqual(
      pick(server.attributes, ["http.request.method", "http.route", "http.response.status_code"]),
      {
        "http.request.method": "POST",
        "http.route": "/telephony-hook",
        "http.response.status_code": 200,
      },
    );
    assert.equal(server.attributes["okta.event_id"], "uS5871kJThSsU8qlA1LTcg");
    assert.equal(server.attributes["okta.request_type"], "com.okta.user.telephony.pre-enrollment");
    assert.deepEqual(
      pick(internal.attributes, ["otp.channel", "otp.outcome", "otp.destination", "otp.provider"]),
      {
        "otp.channel": "sms",
        "otp.outcome": "delivered",
        "otp.destination": "+98****3210",
        "otp.provider": "8x8",
      },
    );
    assert.deepEqual(pick(client.attributes, ["server.address", "url.full", "http.response.status_code"]), {
      "server.address": "127.0.0.1",
      "url.full": `${fake.url}/api/v1/subaccounts/${fake.subaccountId}/messages`,
      "http.response.status_code": 200,
    });
    assert.equal(client.attributes["eightbyeight.umid"], umid);
    assert.equal(server.resource["service.name"], "okta-8x8-telephony-hook");
    assert.match(String(server.resource["service.version"]), /^\d+\.\d+\.\d+/);
    assert.equal(server.resource["deployment.environment.name"], "test");
    assert.ok([server, internal, client].every((span) => span.statusCode !== 2));
  }));

Deno.test("[tracing] without an incoming traceparent a new trace starts at the SERVER span", () =>
  withRig({}, async ({ receiver, hook }) => {
    await json(await hook(JSON.stringify(oktaRequest({ phoneNumber: "+14155552671" }, "evt-new-trace"))));
    await receiver.waitFor((spans) =>
      spans.some((span) => span.attributes["okta.event_id"] === "evt-new-trace")
    );
    const server = receiver.spans.find((span) => span.attributes["okta.event_id"] === "evt-new-trace")!;
    assert.equal(server.parentSpanId, undefined);
    assert.notEqual(server.traceId, INCOMING_TRACE);
    await receiver.waitFor(completeTrace(server.traceId));
  }));

Deno.test("[tracing] a request Okta did not sample is answered untraced, and 8x8 is told so in the same trace", () =>
  withRig({}, async ({ fake, receiver, hook }) => {
    const unsampled = "5bf92f3577b34da6a3ce929d0e0e4736";
    await json(await hook(PREVIEW_SAMPLE_TEXT, { traceparent: `00-${unsampled}-${INCOMING_PARENT}-00` }));
    // A later, sampled request flushes through the same exporter, so waiting for it proves the first sent none.
    await json(
      await hook(JSON.stringify(oktaRequest({ phoneNumber: "+14155552671" }, "evt-after-unsampled"))),
    );
    await receiver.waitFor((spans) =>
      spans.some((span) => span.attributes["okta.event_id"] === "evt-after-unsampled")
    );
    assert.deepEqual(receiver.spans.filter((span) => span.traceId === unsampled), []);
    assert.match(
      fake.requests[0]?.headers.get("traceparent") ?? "",
      new RegExp(`^00-${unsampled}-[0-9a-f]{16}-00$`),
    );
  }));

Deno.test("[tracing] a failed delivery exports ERROR spans with 8x8's error code and a safe exception", () =>
  withRig({}, async ({ fake, receiver, hook }) => {
    fake.answerWith("invalid_msisdn");
    const answer = await json(await hook(PREVIEW_SAMPLE_TEXT));
    assert.equal(answer.commands[0].value[0].status, "FAILED");
    await receiver.waitFor((spans) => spans.some((span) => span.kind === KIND.CLIENT));
    const client = receiver.spans.find((span) => span.kind === KIND.CLIENT)!;
    await receiver.waitFor(completeTrace(client.traceId));
    const [internal] = byKind(receiver.spans, client.traceId, KIND.INTERNAL);
    assert.equal(client.statusCode, 2);
    assert.equal(client.attributes["eightbyeight.error_code"], "1002");
    assert.equal(client.attributes["http.response.status_code"], 400);
    assert.equal(client.attributes["error.type"], "invalid_phone_number");
    assert.equal(internal?.statusCode, 2);
    assert.equal(internal?.attributes["otp.reason"], "invalid_phone_number");
  }));

Deno.test("[tracing] a refused connection to 8x8 is an ERROR span with an exception event", async () => {
  const deadEightByEight = startFake8x8();
  await deadEightByEight.close();
  await withRig({ EIGHTBYEIGHT_SMS_BASE_URL: deadEightByEight.url }, async ({ receiver, hook }) => {
    await json(await hook(PREVIEW_SAMPLE_TEXT));
    await receiver.waitFor((spans) => spans.some((span) => span.kind === KIND.CLIENT));
    const client = receiver.spans.find((span) => span.kind === KIND.CLIENT)!;
    assert.equal(client.statusCode, 2);
    assert.deepEqual(client.events.map((event) => [event.name, event.attributes["exception.message"]]), [
      ["exception", "provider_unavailable"],
    ]);
  });
});

Deno.test("[tracing] SIGTERM right after a request exits cleanly within seconds, and its spans arrive", () =>
  // A batch delay of a minute: only the shutdown flush can deliver these spans.
  withRig({ OTEL_BSP_SCHEDULE_DELAY: "60000" }, async ({ receiver, service, hook }) => {
    await json(
      await hook(PREVIEW_SAMPLE_TEXT, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` }),
    );
    assert.equal(receiver.spans.length, 0, "nothing exported before the signal");
    const started = performance.now();
    const { code, stdout } = await service.stop();
    const seconds = (performance.now() - started) / 1000;
    assert.equal(code, 0);
    assert.ok(seconds < 3, `stopping took ${seconds.toFixed(2)} s`);
    assert.match(stdout, /"event":"stopped","telemetryFlushed":true/);
    assert.ok(completeTrace(INCOMING_TRACE)(receiver.spans), "the request's spans were flushed on shutdown");
  }));

Deno.test("[tracing] no endpoint, or OTEL_SDK_DISABLED: tracing is off and says so", async () => {
  const environments: Record<string, string>[] = [
    {},
    { OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" },
  ];
  for (const env of environments) {
    const service = await startMain(env);
    const { stdout, stderr } = await service.stop();
    assert.match(stdout, /"event":"tracing","mode":"off"/);
    assert.doesNotMatch(stdout + stderr, /telemetry_problem|ECONNREFUSED/);
  }
});

Deno.test("[tracing] with Deno's runtime OpenTelemetry and fetch toward 8x8, our spans join the runtime's and HTTP spans are not doubled", () =>
  withRig(
    { OTEL_DENO: "true", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", EIGHTBYEIGHT_KEEP_ALIVE: "false" },
    async ({ fake, receiver, service, hook }) => {
      await json(
        await hook(PREVIEW_SAMPLE_TEXT, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` }),
      );
      const { stdout } = await service.stop(); // the runtime flushes on exit
      assert.match(stdout, /"event":"tracing","mode":"runtime"/);
      await receiver.waitFor(completeTrace(INCOMING_TRACE));
      const servers = byKind(receiver.spans, INCOMING_TRACE, KIND.SERVER);
      const clients = byKind(receiver.spans, INCOMING_TRACE, KIND.CLIENT);
      assert.equal(servers.length, 1, "one SERVER span: the runtime's, named by our route");
      assert.equal(clients.length, 1, "one CLIENT span: the runtime's fetch");
      assert.equal(servers[0]!.attributes["okta.event_id"], "uS5871kJThSsU8qlA1LTcg");
      assert.equal(servers[0]!.parentSpanId, INCOMING_PARENT);
      const internals = byKind(receiver.spans, INCOMING_TRACE, KIND.INTERNAL);
      assert.deepEqual(internals.map((span) => span.name).sort(), ["8x8 send sms", "deliver_otp"]);
      assert.equal(
        fake.requests[0]?.headers.get("traceparent"),
        `00-${INCOMING_TRACE}-${clients[0]!.spanId}-01`,
      );
    },
  ));

Deno.test("[tracing] with Deno's runtime OpenTelemetry and kept-alive connections, the 8x8 call is our CLIENT span under the runtime's SERVER span", () =>
  withRig(
    { OTEL_DENO: "true", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" },
    async ({ fake, receiver, service, hook }) => {
      await json(
        await hook(PREVIEW_SAMPLE_TEXT, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` }),
      );
      await service.stop();
      await receiver.waitFor(completeTrace(INCOMING_TRACE));
      const [server, ...otherServers] = byKind(receiver.spans, INCOMING_TRACE, KIND.SERVER);
      const clients = byKind(receiver.spans, INCOMING_TRACE, KIND.CLIENT);
      const internals = byKind(receiver.spans, INCOMING_TRACE, KIND.INTERNAL);
      assert.equal(otherServers.length, 0, "one SERVER span: the runtime's");
      assert.deepEqual(internals.map((span) => span.name), ["deliver_otp"]);
      assert.equal(internals[0]!.parentSpanId, server!.spanId);
      // The runtime sees no fetch, so the CLIENT span is ours, with the semantic conventions' name.
      assert.deepEqual(clients.map((span) => [span.name, span.parentSpanId]), [[
        "POST",
        internals[0]!.spanId,
      ]]);
      assert.equal(clients[0]!.attributes["http.response.status_code"], 200);
      assert.equal(
        fake.requests[0]?.headers.get("traceparent"),
        `00-${INCOMING_TRACE}-${clients[0]!.spanId}-01`,
      );
    },
  ));

function pick(attributes: Readonly<Record<string, unknown>>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, attributes[key]]));
}

Deno.test("[tracing] each attempt toward 8x8 is its own CLIENT span, the retry marked with its resend count", () =>
  withRig({}, async ({ fake, receiver, hook }) => {
    fake.answerNext("unavailable");
    const answer = await json(
      await hook(PREVIEW_SAMPLE_TEXT, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` }),
    );
    assert.equal(answer.commands[0].value[0].status, "SUCCESSFUL");
    await receiver.waitFor((spans) => byKind(spans, INCOMING_TRACE, KIND.CLIENT).length === 2);
    const [internal] = byKind(receiver.spans, INCOMING_TRACE, KIND.INTERNAL);
    const clients = byKind(receiver.spans, INCOMING_TRACE, KIND.CLIENT)
      .sort((a, b) =>
        Number(a.attributes["http.request.resend_count"] ?? 0) -
        Number(b.attributes["http.request.resend_count"] ?? 0)
      );
    assert.deepEqual(clients.map((span) => span.parentSpanId), [internal!.spanId, internal!.spanId]);
    assert.deepEqual(clients.map((span) => span.attributes["http.response.status_code"]), [503, 200]);
    assert.deepEqual(clients.map((span) => span.attributes["http.request.resend_count"]), [undefined, 1]);
    assert.deepEqual(clients.map((span) => span.statusCode), [2, 0]);
    // Each attempt carried its own span's traceparent.
    assert.deepEqual(
      fake.requests.map((request) => request.headers.get("traceparent")),
      clients.map((span) => `00-${INCOMING_TRACE}-${span.spanId}-01`),
    );
  }));

Deno.test("[tracing] a voice call is traced like an SMS: CLIENT span with 8x8's sessionId, traceparent passed on", () =>
  withRig({
    EIGHTBYEIGHT_VOICE_SOURCE: "+6588000000",
    EIGHTBYEIGHT_VOICE_SUBACCOUNT_ID: "acme_voice",
    EIGHTBYEIGHT_VOICE_BASE_URL: "", // withRig points it at the fake
  }, async ({ fake, receiver, hook }) => {
    const body = JSON.stringify(oktaRequest({ deliveryChannel: "voice call" }, "evt-voice-trace"));
    const answer = await json(
      await hook(body, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` }),
    );
    const sessionId = answer.commands[0].value[0].transactionId;
    await receiver.waitFor(completeTrace(INCOMING_TRACE));
    const [internal] = byKind(receiver.spans, INCOMING_TRACE, KIND.INTERNAL);
    const [client] = byKind(receiver.spans, INCOMING_TRACE, KIND.CLIENT);
    assert.equal(internal?.attributes["otp.channel"], "voice");
    assert.equal(client?.attributes["eightbyeight.session_id"], sessionId);
    assert.match(String(client?.attributes["url.full"]), /\/api\/v1\/subaccounts\/acme_voice\/callflows$/);
    assert.equal(fake.requests[0]?.headers.get("traceparent"), `00-${INCOMING_TRACE}-${client!.spanId}-01`);
    // The spoken form of the code must stay out of traces too.
    assert.ok(!receiver.rawBodies.join("\n").includes("1, 1, 1, 1, 1"));
  }));

Deno.test("[tracing] an abuse refusal is traced with its reason and rule, and no 8x8 span exists", () =>
  withRig({ ALLOWED_COUNTRIES: "SG" }, async ({ fake, receiver, hook }) => {
    const answer = await json(
      await hook(PREVIEW_SAMPLE_TEXT, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` }),
    );
    assert.equal(answer.commands[0].value[0].status, "FAILED");
    await receiver.waitFor((spans) => byKind(spans, INCOMING_TRACE, KIND.INTERNAL).length === 1);
    const [internal] = byKind(receiver.spans, INCOMING_TRACE, KIND.INTERNAL);
    assert.equal(internal?.attributes["otp.reason"], "country_not_allowed");
    assert.equal(internal?.attributes["otp.rule"], "allowed_countries");
    assert.equal(internal?.attributes["otp.destination"], "+98****3210");
    assert.equal(internal?.statusCode, 2);
    assert.equal(byKind(receiver.spans, INCOMING_TRACE, KIND.CLIENT).length, 0);
    assert.equal(fake.requests.length, 0);
  }));

Deno.test("[tracing] a delivery receipt is a span in its own trace, linked to the hook request that sent the SMS", () =>
  withRig(
    { EIGHTBYEIGHT_DLR_AUTH: "Bearer dlr-webhook-token-0123456789" },
    async ({ fake, receiver, service, hook }) => {
      await json(
        await hook(PREVIEW_SAMPLE_TEXT, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` }),
      );
      await receiver.waitFor(completeTrace(INCOMING_TRACE));
      const [server] = byKind(receiver.spans, INCOMING_TRACE, KIND.SERVER);
      const receipt = receiptFor(fake.sent[0]!, "undelivered", 3);
      const target = {
        url: `${service.url}/8x8/delivery-receipts`,
        authorization: "Bearer dlr-webhook-token-0123456789",
      };
      assert.deepEqual(await postReceipt(target, receipt, []), [200]);
      await receiver.waitFor((spans) => spans.some((span) => span.name === "8x8 delivery receipt"));
      const span = receiver.spans.find((span) => span.name === "8x8 delivery receipt")!;
      assert.notEqual(span.traceId, INCOMING_TRACE, "its own trace");
      assert.deepEqual(span.links, [{ traceId: INCOMING_TRACE, spanId: server!.spanId }]);
      assert.equal(span.attributes["dlr.state"], "undelivered");
      assert.equal(span.attributes["dlr.error_code"], 3);
      assert.equal(span.attributes["okta.event_id"], "uS5871kJThSsU8qlA1LTcg");
      assert.equal(span.attributes["otp.destination"], "+98****3210");
      assert.equal(span.statusCode, 2);
    },
  ));

Deno.test("[tracing] an unauthenticated caller's traceparent is not continued: its 401 is traced under a trace of ours", () =>
  withRig({}, async ({ receiver, hook }) => {
    const traceparent = `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`;
    const refused = await hook(PREVIEW_SAMPLE_TEXT, { authorization: "not-the-secret-at-all", traceparent });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const isRefusal = (span: ExportedSpan) =>
      span.kind === KIND.SERVER && span.attributes["http.response.status_code"] === 401;
    await receiver.waitFor((spans) => spans.some(isRefusal));
    const server = receiver.spans.find(isRefusal)!;
    assert.notEqual(server.traceId, INCOMING_TRACE);
    assert.equal(server.parentSpanId, undefined);
    assert.ok(receiver.spans.every((span) => span.traceId !== INCOMING_TRACE));
  }));

Deno.test("[telemetry] SDK mode over protobuf: log lines carry the SERVER span's trace id, spans follow the HTTP conventions, metrics arrive", () =>
  withRig(
    { OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf", OTEL_METRIC_EXPORT_INTERVAL: "1000" },
    async ({ receiver, service, hook }) => {
      await json(await hook(PREVIEW_SAMPLE_TEXT, { "user-agent": "Okta Telephony Hook" }));
      await receiver.waitUntil((all) =>
        all.spans.some((span) => span.kind === KIND.SERVER) &&
        all.points.some((point) => point.metric === "http.server.request.duration")
      );
      assert.ok(receiver.contentTypes.get("/v1/traces")?.every((type) => type === "application/x-protobuf"));
      assert.ok(receiver.contentTypes.get("/v1/metrics")?.every((type) => type === "application/x-protobuf"));
      const server = receiver.spans.find((span) => span.kind === KIND.SERVER)!;
      assert.deepEqual(
        pick(server.attributes, [
          "http.request.method",
          "http.route",
          "url.path",
          "url.scheme",
          "server.address",
          "client.address",
          "user_agent.original",
          "http.response.status_code",
        ]),
        {
          "http.request.method": "POST",
          "http.route": "/telephony-hook",
          "url.path": "/telephony-hook",
          "url.scheme": "http",
          "server.address": "127.0.0.1",
          "client.address": "127.0.0.1",
          "user_agent.original": "Okta Telephony Hook",
          "http.response.status_code": 200,
        },
      );
      assert.equal(server.resource["telemetry.sdk.name"], "opentelemetry");
      assert.ok(server.resource["telemetry.sdk.language"]);
      const histogram = receiver.points.find((point) =>
        point.metric === "http.server.request.duration" &&
        point.attributes["http.route"] === "/telephony-hook"
      )!;
      assert.equal(histogram.kind, "histogram");
      assert.equal(histogram.unit, "s");
      assert.equal(histogram.count, 1);
      assert.equal(histogram.explicitBounds?.[0], 0.005);
      assert.equal(histogram.scope?.name, "okta-8x8-telephony-hook");
      assert.match(histogram.scope?.version ?? "", /^\d+\.\d+\.\d+/);
      const { stdout } = await service.stop();
      const line = JSON.parse(stdout.split("\n").find((text) => text.includes(`"event":"hook"`))!);
      assert.equal(line.trace_id, server.traceId);
      assert.equal(line.span_id, server.spanId);
    },
  ));

Deno.test("[telemetry] runtime mode (OTEL_DENO=true, as on Deno Deploy): the hook's log line arrives as a log record of its trace", () =>
  withRig({ OTEL_DENO: "true" }, async ({ receiver, service, hook }) => {
    await json(
      await hook(PREVIEW_SAMPLE_TEXT, { traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01` }),
    );
    await service.stop(); // the runtime exports what it holds, and waits for the answer, before it exits
    const record = receiver.logs.find((log) => String(log.body).includes(`"event":"hook"`));
    assert.ok(record, "the hook's line reached the collector as a log record");
    assert.equal(record.traceId, INCOMING_TRACE);
    assert.equal(JSON.parse(String(record.body)).trace_id, INCOMING_TRACE);
    assert.equal(record.severityText.toLowerCase(), "info");
  }));

Deno.test("[telemetry] runtime mode exports our counters once, through the runtime, never also through an SDK of ours", () =>
  withRig({ OTEL_DENO: "true" }, async ({ receiver, service, hook }) => {
    await json(await hook(PREVIEW_SAMPLE_TEXT));
    const { stdout } = await service.stop(); // both pipelines, if there were two, flush on exit
    const pushes = receiver.points.filter((point) => point.metric === "otp.deliveries");
    assert.ok(pushes.length > 0, "the deliveries counter arrived");
    // One pipeline, one resource: a second (our SDK beside the runtime) would count every passcode twice.
    const resources = new Set(pushes.map((point) => JSON.stringify(point.resource)));
    assert.equal(resources.size, 1, [...resources].join("\n"));
    assert.match(stdout, /"event":"metrics","export":"runtime"/);
  }));
