// `deno task bench`: the cost of tracing, measured side by side in one run on this machine. Two service
// processes (OTLP export on, tracing off) share one fake 8x8; rounds alternate so noise hits both alike.
import { PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { liveEnvironment, runDeno, type ServiceProcess, startMain } from "../support/subprocess.ts";

const SECRET = "bench-okta-secret-0123456789";
const CONCURRENCY = 32;
const ROUND_MS = 3_000;
const ROUNDS = 3;

interface Sample {
  readonly requests: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
}

async function drive(url: string, durationMs: number): Promise<Sample> {
  const latenciesMs: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization: SECRET, "content-type": "application/json" },
        body: PREVIEW_SAMPLE_TEXT,
      });
      const text = await response.text();
      if (response.status !== 200 || !text.includes("SUCCESSFUL")) throw new Error(`bad answer: ${text}`);
      latenciesMs.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { requests: latenciesMs.length, seconds: (performance.now() - started) / 1000, latenciesMs };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

const backendsProcess = runDeno(
  ["run", "--allow-net=127.0.0.1", "--allow-read", new URL("./backends.ts", import.meta.url).pathname],
  {},
);
const firstLine = (await backendsProcess.stdout.pipeThrough(new TextDecoderStream()).getReader().read())
  .value!;
const backends = JSON.parse(firstLine.split("\n")[0]!);
const common = liveEnvironment({ ...backends, url: backends.eightByEight }, SECRET);
const services: [string, ServiceProcess][] = [
  ["tracing off", await startMain(common)],
  ["OTLP export on", await startMain({ ...common, OTEL_EXPORTER_OTLP_ENDPOINT: backends.otlp })],
];

const samples = new Map<string, Sample[]>(services.map(([name]) => [name, []]));
const problems: string[] = [];
try {
  for (const [, service] of services) await drive(`${service.url}/telephony-hook`, 1_000); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, service] of round % 2 === 0 ? services : [...services].reverse()) {
      samples.get(name)!.push(await drive(`${service.url}/telephony-hook`, ROUND_MS));
    }
  }
} finally {
  for (const [name, service] of services) {
    const { stdout } = await service.stop();
    // Dropped spans or export errors would make the "on" numbers flattering: show them.
    const lines = stdout.split("\n").filter((line) => line.includes(`"event":"tracing_problem"`));
    if (lines.length > 0) problems.push(`${name}: ${lines.length} tracing problems, first: ${lines[0]}`);
  }
  backendsProcess.kill();
  await backendsProcess.status;
  await backendsProcess.stderr.cancel();
}

const rows = [...samples].map(([name, runs]) => {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const sorted = runs.flatMap((run) => run.latenciesMs).sort((a, b) => a - b);
  return {
    name,
    rps: requests / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    requests,
  };
});
const baseline = rows[0]!;
console.log(
  `\n${CONCURRENCY} concurrent clients, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s each\n`,
);
console.log("| service | requests | req/s | p50 ms | p99 ms | req/s vs off | p99 vs off |");
console.log("|---|---|---|---|---|---|---|");
for (const row of rows) {
  console.log(
    `| ${row.name} | ${row.requests} | ${row.rps.toFixed(0)} | ${row.p50.toFixed(2)} | ${
      row.p99.toFixed(2)
    } | ` +
      `${(row.rps / baseline.rps).toFixed(2)}× | ${(row.p99 / baseline.p99).toFixed(2)}× |`,
  );
}
console.log(
  problems.length === 0 ? "\nNo tracing problems reported (no dropped spans, no export errors)." : "",
);
for (const problem of problems) console.log(problem);
