// `deno task bench`: this service against the floor (a bare proxy to the same fake 8x8), side by side in one
// run: with tracing exported, with tracing off, on fresh connections to 8x8, and with its stores in Deno KV.
// Rounds alternate so the machine's noise hits every target alike. Load comes from wrk (installed from Debian's
// packages when missing) on the honest stream: every request a new eventId, user and number.
// Then cold starts (spawn to the first answered hook, alternating), and the container image's settings under a
// long run: steady RSS once the stores are full, and its growth over 1,000,000 more requests.
import { signInRequest } from "../support/okta_requests.ts";
import { liveEnvironment, runDeno, spawn, startMain } from "../support/subprocess.ts";

const SECRET = "bench-okta-secret-0123456789";
const CONNECTIONS = 32;
const ROUND_SECONDS = 5;
const ROUNDS = 3;
const COLD_STARTS = 8;
// The container image's settings (deploy/docker/Dockerfile), read from it so the two cannot drift apart.
const CONTAINER_ENV = Object.fromEntries(
  [
    ...Deno.readTextFileSync(new URL("../../deploy/docker/Dockerfile", import.meta.url)).matchAll(
      /^ENV (.+)$/gm,
    ),
  ]
    .flatMap(([, pairs]) =>
      pairs!.split(" ").map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)])
    )
    .filter(([name]) => name === "STORE_MEMORY_MB" || name === "DENO_V8_FLAGS"),
);
// With the image's 48 MiB of stores, about 79,000 event ids and 101,000 rate-limit subjects (two per hook) fit:
// past 150,000 requests both are full and every new entry takes an old one's place, so they cannot grow.
const STORES_FULL_REQUESTS = 150_000;
const LONG_RUN_REQUESTS = Number(Deno.env.get("BENCH_LONG_RUN_REQUESTS") ?? 1_000_000);
const REPO = new URL("../../", import.meta.url).pathname;
const HERE = new URL(".", import.meta.url).pathname;

interface Target {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly stop: () => Promise<unknown>;
}

interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
}

interface Round extends WrkResult {
  /** CPU time the target's process spent (all its threads), in milliseconds. */
  readonly cpuMs: number;
}

async function ensureWrk(): Promise<void> {
  const found = await new Deno.Command("sh", { args: ["-c", "command -v wrk"], stdout: "null" }).output();
  if (found.success) return;
  console.error("wrk is missing: installing it from Debian's packages");
  const install = await new Deno.Command("sh", {
    args: [
      "-c",
      "apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk)",
    ],
  }).output();
  if (!install.success) throw new Error("could not install wrk; install it and run the bench again");
}

function firstLine(process: Deno.ChildProcess): Promise<string> {
  return process.stdout.pipeThrough(new TextDecoderStream()).getReader().read().then(({ value }) =>
    value!.split("\n")[0]!
  );
}

// The honest stream: a Lua script that sends Okta's request with a fresh eventId, its own user and its own number
// each time (a million numbers, from a random point per run), so nothing is a replay, no rate limit refuses, and
// nothing per number or user is measured warm only. The default abuse rules stay on.
async function luaScript(prefix: string): Promise<string> {
  const request = signInRequest({ phoneNumber: "+14155PHONE" }, "EVENT");
  const template = JSON.stringify(request).replace("EVENT", `${prefix}-%d`).replace("PHONE", "%06d")
    .replace(
      String((request.data as { userProfile: { userId: string } }).userProfile.userId),
      `${prefix}-user-%d`,
    );
  const path = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(
    path,
    `local counter = 0
local offset = ${Math.floor(Math.random() * 1_000_000)}
local template = [==[${template}]==]
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "${SECRET}"
request = function()
  counter = counter + 1
  -- In the order the template holds them: eventId, userId, number.
  return wrk.format(nil, nil, nil, string.format(template, counter, counter, (offset + counter) % 1000000))
end
`,
  );
  return path;
}

function milliseconds(text: string): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text);
  if (match === null) throw new Error(`cannot read a duration in ${text}`);
  const [, value, unit] = match;
  return Number(value) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1);
}

async function wrk(url: string, seconds: number, prefix: string): Promise<WrkResult> {
  const script = await luaScript(prefix);
  try {
    const output = await new Deno.Command("wrk", {
      args: ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "-s", script, url],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    const requests = /(\d+) requests in ([\d.]+)(ms|s)/.exec(text);
    if (!output.success || requests === null) {
      throw new Error(`wrk failed:\n${text}${new TextDecoder().decode(output.stderr)}`);
    }
    return {
      requests: Number(requests[1]),
      seconds: Number(requests[2]) / (requests[3] === "ms" ? 1000 : 1),
      p50: milliseconds(/^\s+50%\s+(\S+)$/m.exec(text)?.[1] ?? `?${text}`),
      p99: milliseconds(/^\s+99%\s+(\S+)$/m.exec(text)?.[1] ?? `?${text}`),
      non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    };
  } finally {
    await Deno.remove(script);
  }
}

// Deno reads /proc only with every permission; ps tells the same.
async function rssKiB(pid: number): Promise<number> {
  const output = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
  return Number(new TextDecoder().decode(output.stdout).trim());
}

// User plus system time of every thread of the process, from /proc (read by `cat`, for the reason above).
async function cpuMs(pid: number): Promise<number> {
  const output = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).output();
  const fields = new TextDecoder().decode(output.stdout).split(") ")[1]!.split(" ");
  const ticksPerSecond = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) * 1000 / ticksPerSecond;
}

// One wrk run, with the CPU time the target spent during it.
async function round(target: Target, seconds: number, prefix: string): Promise<Round> {
  const before = await cpuMs(target.pid);
  const result = await wrk(target.url, seconds, prefix);
  return { ...result, cpuMs: (await cpuMs(target.pid)) - before };
}

await ensureWrk();
const backends = runDeno(["run", "--allow-net=127.0.0.1", "--allow-read", `${HERE}backends.ts`], {});
const fake = JSON.parse(await firstLine(backends));
// The service toward the fake 8x8, nothing exported; `settings` also serves /metrics, which counts deliveries.
const plain = liveEnvironment(
  { url: fake.eightByEight, apiKey: fake.apiKey, subaccountId: fake.subaccountId },
  SECRET,
);
const settings = { ...plain, METRICS_AUTH: `Bearer ${SECRET}-metrics` };
const traced = { ...settings, OTEL_EXPORTER_OTLP_ENDPOINT: fake.otlp };
const kvFile = `${REPO}.state/bench-${crypto.randomUUID()}.sqlite3`;

// Starts the service like `deno task start`, dropping its log unread: the harness shares the machine's two cores.
async function service(name: string, env: Record<string, string>): Promise<Target> {
  const process = await startMain(env, undefined, { keepStdout: false });
  return { name, url: `${process.url}/telephony-hook`, pid: process.pid, stop: () => process.stop() };
}

function startFloor(): { process: Deno.ChildProcess; port: Promise<number> } {
  const process = spawn(Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-env",
    `${HERE}floor_proxy.ts`,
  ], {
    FLOOR_TARGET: `${fake.eightByEight}/api/v1/subaccounts/${fake.subaccountId}/messages`,
    FLOOR_API_KEY: fake.apiKey,
  });
  return { process, port: firstLine(process).then((line) => JSON.parse(line).port) };
}

async function firstHook(url: string): Promise<void> {
  const answer = await fetch(url, {
    method: "POST",
    headers: { authorization: SECRET, "content-type": "application/json" },
    body: JSON.stringify(signInRequest({ phoneNumber: "+14155552671" }, `cold-${crypto.randomUUID()}`)),
  });
  await answer.body?.cancel();
  if (!answer.ok) throw new Error(`the first hook was answered ${answer.status}`);
}

// Passcodes the service says reached 8x8, of those it answered: its own otp_deliveries_total.
async function delivered(target: Target): Promise<{ delivered: number; answered: number }> {
  const metrics = await (await fetch(target.url.replace("/telephony-hook", "/metrics"), {
    headers: { authorization: settings.METRICS_AUTH },
  })).text();
  let delivered = 0;
  let answered = 0;
  for (const line of metrics.split("\n").filter((line) => line.startsWith("otp_deliveries_total{"))) {
    const count = Number(line.slice(line.lastIndexOf(" ") + 1));
    answered += count;
    if (line.includes('outcome="delivered"')) delivered += count;
  }
  return { delivered, answered };
}

// 1. CPU per request, side by side.
const floor = startFloor();
const floorPort = await floor.port;
const targets: Target[] = [
  {
    name: "floor: bare `Deno.serve` + one pooled `fetch`",
    url: `http://127.0.0.1:${floorPort}/`,
    pid: floor.process.pid,
    stop: async () => (floor.process.kill(), await floor.process.status),
  },
  await service("service, every request traced and exported", traced),
  await service("service, tracing off", settings),
  // What kept-alive connections to 8x8 buy: the same service on a fresh connection per call, as behind a proxy.
  await service("service, tracing off, `EIGHTBYEIGHT_KEEP_ALIVE=false`", {
    ...settings,
    EIGHTBYEIGHT_KEEP_ALIVE: "false",
  }),
  await service("service, tracing off, `STATE_STORE=kv` (local file)", {
    ...settings,
    STATE_STORE: "kv",
    KV_URL: kvFile,
  }),
];
const results = new Map<string, Round[]>(targets.map((target) => [target.name, []]));
const rss = new Map<string, number[]>(targets.map((target) => [target.name, []]));
const deliveries = new Map<string, { delivered: number; answered: number }>();
try {
  for (const target of targets) await wrk(target.url, 2, `warm-${targets.indexOf(target)}`);
  for (let turn = 0; turn < ROUNDS; turn++) {
    const order = [...targets.slice(turn % targets.length), ...targets.slice(0, turn % targets.length)];
    for (const target of order) {
      results.get(target.name)!.push(
        await round(target, ROUND_SECONDS, `r${turn}-${targets.indexOf(target)}`),
      );
      rss.get(target.name)!.push(await rssKiB(target.pid));
    }
  }
  for (const target of targets.slice(1)) deliveries.set(target.name, await delivered(target));
} finally {
  for (const target of targets) await target.stop();
  await Deno.remove(kvFile).catch(() => {});
}

const rows = targets.map((target) => {
  const runs = results.get(target.name)!;
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const mean = (pick: (run: WrkResult) => number) =>
    runs.reduce((sum, run) => sum + pick(run), 0) / runs.length;
  return {
    name: target.name,
    rps: requests / seconds,
    p50: mean((run) => run.p50),
    p99: mean((run) => run.p99),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    cpuMicroseconds: runs.reduce((sum, run) => sum + run.cpuMs, 0) * 1000 / requests,
    rssMiB: median(rss.get(target.name)!) / 1024,
  };
});
const floorRow = rows[0]!;
const memoryRow = rows[2]!;
console.log(
  `\nwrk: 1 thread, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${ROUND_SECONDS} s per target\n`,
);
console.log(
  "| target | req/s | p50 ms | p99 ms | non-2xx | CPU µs/request | × floor | RSS MiB after each round, median |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const row of rows) {
  console.log(
    `| ${row.name} | ${row.rps.toFixed(0)} | ${row.p50.toFixed(2)} | ${
      row.p99.toFixed(2)
    } | ${row.non2xx} | ` +
      `${row.cpuMicroseconds.toFixed(0)} | ${
        (row.cpuMicroseconds / floorRow.cpuMicroseconds).toFixed(2)
      } | ` +
      `${row.rssMiB.toFixed(0)} |`,
  );
}
console.log(
  "\nCPU µs/request: user and system time of the target's whole process during its rounds, per request answered.",
);
console.log(
  `KV on a local file: ${
    (rows[4]!.cpuMicroseconds / memoryRow.cpuMicroseconds).toFixed(2)
  }× the memory stores' CPU.`,
);
for (const [name, { delivered, answered }] of deliveries) {
  console.log(
    `${name}: ${delivered} of ${answered} passcodes reached the fake 8x8 (${
      (100 * delivered / answered).toFixed(2)
    }%).`,
  );
}

// 2. Cold start: spawn to the first answered hook, each configuration in turn, median of COLD_STARTS.
const coldConfigurations: Record<string, (() => Promise<{ url: string; stop: () => Promise<unknown> }>)> = {
  "floor": async () => {
    const started = startFloor();
    const port = await started.port;
    return {
      url: `http://127.0.0.1:${port}/`,
      stop: async () => (started.process.kill(), await started.process.status),
    };
  },
  "service, tracing off": () => service("", plain),
  "service, tracing off, /metrics served": () => service("", settings),
  "service, Deno's runtime OpenTelemetry (`OTEL_DENO=true`, as on Deno Deploy)": () =>
    service("", {
      ...plain,
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: fake.otlp,
    }),
  "service, SDK exporting traces and metrics (protobuf)": () => service("", traced),
  "service, SDK exporting traces and metrics (JSON)": () =>
    service("", { ...traced, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }),
};
const coldStarts = new Map<string, number[]>();
for (let run = 0; run < COLD_STARTS; run++) {
  for (const [name, start] of Object.entries(coldConfigurations)) {
    const spawned = performance.now();
    const started = await start();
    await firstHook(started.url);
    (coldStarts.get(name) ?? coldStarts.set(name, []).get(name)!).push(performance.now() - spawned);
    await started.stop();
  }
}
console.log(`\n| cold start: spawn to the first answered hook, median of ${COLD_STARTS}, alternating | ms |`);
console.log("|---|---|");
for (const [name, times] of coldStarts) console.log(`| ${name} | ${median(times).toFixed(0)} |`);

// 3. The container image's settings, traced, under a long run.
const container = await service("container settings, traced", { ...traced, ...CONTAINER_ENV });
try {
  let requests = 0;
  for (let extra = 0; requests < STORES_FULL_REQUESTS; extra++) {
    requests += (await wrk(container.url, ROUND_SECONDS, `fill-${extra}`)).requests;
  }
  const samples: { requests: number; kib: number }[] = [{ requests, kib: await rssKiB(container.pid) }];
  const target = requests + LONG_RUN_REQUESTS;
  for (let extra = 0; requests < target; extra++) {
    requests += (await wrk(container.url, ROUND_SECONDS, `long-${extra}`)).requests;
    samples.push({ requests, kib: await rssKiB(container.pid) });
  }
  const first = samples.slice(0, Math.max(3, Math.ceil(samples.length / 10)));
  const last = samples.slice(-Math.max(3, Math.ceil(samples.length / 10)));
  const start = median(first.map((sample) => sample.kib)) / 1024;
  const end = median(last.map((sample) => sample.kib)) / 1024;
  const { delivered: reached, answered } = await delivered(container);
  console.log(
    `\nContainer settings (${
      Object.entries(CONTAINER_ENV).map(([name, value]) => `${name}=${value}`).join(" ")
    }), ` +
      `traced: RSS ${start.toFixed(0)} MiB once the stores were full (${first.at(-1)!.requests} requests), ` +
      `${end.toFixed(0)} MiB after ${(requests - samples[0]!.requests).toLocaleString("en")} more ` +
      `(${
        ((end / start - 1) * 100).toFixed(1)
      }%; medians of the first and last tenth of the samples, one per ${ROUND_SECONDS} s), ` +
      `at most ${(Math.max(...samples.map((sample) => sample.kib)) / 1024).toFixed(0)} MiB. ` +
      `The floor's RSS under load: ${floorRow.rssMiB.toFixed(0)} MiB. ` +
      `${reached} of ${answered} passcodes reached the fake 8x8.`,
  );
} finally {
  await container.stop();
  backends.kill();
  await backends.status;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
