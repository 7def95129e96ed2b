// The deployment files hold what the README promises. Containers cannot be built here (no engine), so these
// checks read the files; the systemd unit is verified by systemd itself where systemd-analyze exists.
import assert from "node:assert/strict";
import { parse } from "yaml";
import { createMemoryLedger } from "../src/stores/memory_ledger.ts";
import { postReceipt, receiptFor } from "./fakes/fake_8x8_receipts.ts";
import { oktaRequest, signInRequest } from "./support/okta_requests.ts";
import { withService } from "./support/service.ts";

const DEPLOY = new URL("../deploy/", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, DEPLOY));

function hasCommand(name: string): boolean {
  try {
    return new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

Deno.test("[deploy files] the systemd unit is hardened, reads secrets from a file and stops with SIGTERM", () => {
  const unit = read("systemd/okta-8x8-telephony-hook.service");
  for (
    const line of [
      "DynamicUser=yes",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "PrivateTmp=yes",
      "EnvironmentFile=/etc/okta-8x8-telephony-hook/env",
      "Restart=on-failure",
      "KillSignal=SIGTERM",
      "LimitNOFILE=65536",
    ]
  ) assert.match(unit, new RegExp(`^${line}$`, "m"), line);
});

Deno.test({
  name: "[deploy files] systemd-analyze finds nothing wrong with the unit",
  ignore: !hasCommand("systemd-analyze"),
  async fn() {
    // The real binary is not installed here, so point ExecStart at an executable that exists.
    const folder = await Deno.makeTempDir();
    try {
      const unit = read("systemd/okta-8x8-telephony-hook.service").replace(
        /^ExecStart=.*$/m,
        "ExecStart=/bin/true",
      );
      await Deno.writeTextFile(`${folder}/okta-8x8-telephony-hook.service`, unit);
      const result = await new Deno.Command("systemd-analyze", {
        args: ["verify", `${folder}/okta-8x8-telephony-hook.service`],
      }).output();
      const complaints = new TextDecoder().decode(result.stderr).trim();
      assert.equal(result.code, 0, complaints);
      assert.equal(complaints, "");
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
});

Deno.test("[deploy files] the Dockerfile is multi-stage, runs as non-root with a health check, copies no .env", () => {
  const dockerfile = read("docker/Dockerfile").replace(/^#.*\n/gm, "");
  assert.equal(dockerfile.match(/^FROM /gm)?.length, 2);
  assert.match(dockerfile, /^USER nonroot$/m);
  assert.match(dockerfile, /^HEALTHCHECK [^\n]*\\\n\s+CMD \[.*"--healthcheck"\]$/m);
  const copies = dockerfile.match(/^COPY .*$/gm) ?? [];
  assert.deepEqual(copies.filter((line) => !line.includes("--from=")), [
    "COPY deno.json deno.lock ./",
    "COPY src ./src",
  ]);
  assert.doesNotMatch(dockerfile, /\.env|ARG .*SECRET|ENV .*(SECRET|KEY)/);
});

Deno.test("[deploy files] Jaeger v2 alone takes OTLP on 4318 and serves the UI on 16686", () => {
  const jaeger = compose("jaeger/compose.yaml");
  assert.match(jaeger.services.jaeger.image, /^jaegertracing\/jaeger:2\.\d+\.\d+$/);
  assert.deepEqual(jaeger.services.jaeger.ports, ["127.0.0.1:4318:4318", "127.0.0.1:16686:16686"]);
  const service = compose("docker/compose.yaml");
  assert.deepEqual(service.include, ["../jaeger/compose.yaml"]);
  assert.equal(service.services.hook.environment.OTEL_EXPORTER_OTLP_ENDPOINT, "http://jaeger:4318");
  assert.equal(service.services.hook.build.dockerfile, "deploy/docker/Dockerfile");
});

Deno.test("[deploy files] the observability stack parses, pins every image, and its ports and credentials agree", () => {
  const stack = compose("observability/compose.yaml");
  for (const [name, service] of Object.entries(stack.services)) {
    if (service.build !== undefined) continue;
    assert.match(String(service.image), /^[\w./-]+:v?\d+\.\d+\.\d+$/, `${name} pins its image`);
    for (const port of service.ports ?? []) {
      assert.match(port, /^127\.0\.0\.1:/, `${name} binds ${port} to loopback`);
    }
  }
  const hook = stack.services.hook.environment;
  const collector = parse(read("observability/otel-collector.yaml")) as Collector;
  assert.equal(
    hook.OTEL_EXPORTER_OTLP_ENDPOINT,
    `http://otel-collector:${portOf(collector.receivers.otlp.protocols.http.endpoint)}`,
  );
  assert.equal(collector.exporters["otlphttp/jaeger"]?.endpoint, "http://jaeger:4318");
  assert.deepEqual(collector.service.pipelines.traces?.exporters, ["otlphttp/jaeger"]);
  const prometheus = parse(read("observability/prometheus.yml")) as PrometheusConfig;
  const scrape = prometheus.scrape_configs[0]!;
  assert.deepEqual(scrape.static_configs[0]!.targets, [`hook:${hook.PORT}`]);
  assert.equal(scrape.metrics_path, "/metrics");
  assert.equal(`${scrape.authorization.type} ${scrape.authorization.credentials}`, hook.METRICS_AUTH);
  assert.ok(
    stack.services.grafana.volumes.some((volume: string) => volume.startsWith("./grafana/dashboards:")),
  );
});

Deno.test("[deploy files] every metric the dashboard queries is one the service exports (read from a live /metrics)", async () => {
  const dashboard = JSON.parse(read("observability/grafana/dashboards/okta-8x8-telephony-hook.json"));
  const queried = new Set<string>(
    dashboard.panels.flatMap((panel: { targets: { expr: string }[] }) => panel.targets.map((t) => t.expr))
      .flatMap(metricNamesIn),
  );
  assert.ok(queried.size >= 8, `the dashboard queries ${[...queried]}`);
  const exported = await liveMetricNames();
  const missing = [...queried].filter((name) => !exported.has(name));
  assert.deepEqual(missing, [], `exported: ${[...exported].sort().join(", ")}`);
});

Deno.test("[deploy files] every deployment guide is linked from the README", () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  for (
    const path of [
      "deploy/README.md",
      "deploy/deno-deploy/README.md",
      "deploy/systemd/README.md",
      "deploy/docker/Dockerfile",
      "deploy/jaeger/compose.yaml",
    ]
  ) assert.ok(readme.includes(`](${path}`), `README links ${path}`);
});

// deno-lint-ignore no-explicit-any
type ComposeFile = { include?: string[]; services: Record<string, any> };
type Collector = {
  receivers: { otlp: { protocols: { http: { endpoint: string } } } };
  exporters: Record<string, { endpoint: string }>;
  service: { pipelines: Record<string, { exporters: string[] }> };
};
type PrometheusConfig = {
  scrape_configs: {
    metrics_path: string;
    authorization: { type: string; credentials: string };
    static_configs: { targets: string[] }[];
  }[];
};

function compose(path: string): ComposeFile {
  return parse(read(path)) as ComposeFile;
}

function portOf(endpoint: string): string {
  return endpoint.slice(endpoint.lastIndexOf(":") + 1);
}

// The series names in a PromQL expression: label matchers, ranges, `by (...)` lists and functions removed.
function metricNamesIn(expr: string): string[] {
  const bare = expr.replace(/\{[^}]*\}/g, " ").replace(/\[[^\]]*\]/g, " ").replace(
    /\b(by|without) \([^)]*\)/g,
    " ",
  );
  return [...bare.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)].map((match) => match[1]!)
    .filter((name) => name.includes("_"));
}

// A service that has done everything the dashboard shows: deliveries, a refusal by rule, a replay, 8x8 calls,
// a receipt and a store failure; then the family names on its /metrics, with histograms' _bucket/_count/_sum.
async function liveMetricNames(): Promise<Set<string>> {
  const ledger = createMemoryLedger();
  const names = new Set<string>();
  await withService({
    env: { EIGHTBYEIGHT_DLR_AUTH: "Bearer receipts-token-0123456789", RATE_LIMIT_PER_NUMBER: "1/10m" },
    ledger: {
      ...ledger,
      remember: (sent) =>
        sent.eventId === "evt-dash-store" ? Promise.reject(new Error("down")) : ledger.remember(sent),
    },
  }, async (service) => {
    const post = async (body: unknown) => await (await service.post(JSON.stringify(body))).body?.cancel();
    await post(signInRequest({ phoneNumber: "+14155552671" }, "evt-dash-1"));
    await post(signInRequest({ phoneNumber: "+14155552671" }, "evt-dash-1")); // a replay
    await post(signInRequest({ phoneNumber: "+14155552671" }, "evt-dash-2")); // refused by per_number
    await post(oktaRequest({ phoneNumber: "+6591234567" }, "evt-dash-store"));
    const target = {
      url: `${service.url}/8x8/delivery-receipts`,
      authorization: "Bearer receipts-token-0123456789",
    };
    await postReceipt(target, receiptFor(service.fake.sent[0]!, "delivered"), []);
    for (const line of (await service.metrics()).split("\n")) {
      const name = /^([a-zA-Z_:][\w:]*)[{ ]/.exec(line)?.[1];
      if (name !== undefined) names.add(name);
    }
  });
  return names;
}
