// `deno task bench`: this service against the floor (a bare proxy to the same fake 8x8), with tracing exported
// and with tracing off, side by side in one run. Rounds alternate so the machine's noise hits every target alike.
// Load comes from wrk (installed from Debian's packages when missing), one Okta request per unique eventId.
import { DEFAULT_LEDGER_ENTRIES } from "../../src/stores/memory_ledger.ts";
import { signInRequest } from "../support/okta_requests.ts";
import { liveEnvironment, runDeno, spawn, startMain } from "../support/subprocess.ts";

const SECRET = "bench-okta-secret-0123456789";
const CONNECTIONS = 32;
const ROUND_SECONDS = 5;
const ROUNDS = 3;
const RSS_REQUESTS = 100_000;
// Warm-up ends once the delivery ledger (the store bounded by count) is full and has turned over. Replay ids and
// rate-limit subjects are kept by time (10 minutes, the limits' windows) within a byte budget, so they still grow
// through the measured requests: see docs/abuse-protection.md for their budget.
const WARM_UP_REQUESTS = DEFAULT_LEDGER_ENTRIES + 10_000;
const HERE = new URL(".", import.meta.url).pathname;

interface Target {
  readonly name: string;
  /** Spawn to the first answered hook, in milliseconds. */
  readonly coldStartMs?: number;
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

// Starts the service like `deno task start`, dropping its log unread: the harness shares the machine's two cores.
async function service(name: string, env: Record<string, string>): Promise<Target> {
  const spawned = performance.now();
  const process = await startMain(env, undefined, { keepStdout: false });
  const url = `${process.url}/telephony-hook`;
  const first = await fetch(url, {
    method: "POST",
    headers: { authorization: SECRET, "content-type": "application/json" },
    body: JSON.stringify(signInRequest({ phoneNumber: "+14155552671" }, `cold-${crypto.randomUUID()}`)),
  });
  await first.body?.cancel();
  const coldStartMs = performance.now() - spawned;
  return { name, url, pid: process.pid, coldStartMs, stop: () => process.stop() };
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
const settings = {
  ...liveEnvironment(
    { url: fake.eightByEight, apiKey: fake.apiKey, subaccountId: fake.subaccountId },
    SECRET,
  ),
  METRICS_AUTH: `Bearer ${SECRET}-metrics`,
};
const floorProcess = spawn(Deno.execPath(), [
  "run",
  "--allow-net=127.0.0.1",
  "--allow-env",
  `${HERE}floor_proxy.ts`,
], {
  FLOOR_TARGET: `${fake.eightByEight}/api/v1/subaccounts/${fake.subaccountId}/messages`,
  FLOOR_API_KEY: fake.apiKey,
});
const floorPort = JSON.parse(await firstLine(floorProcess)).port;
const targets: Target[] = [
  {
    name: "floor (bare proxy)",
    url: `http://127.0.0.1:${floorPort}/`,
    pid: floorProcess.pid,
    stop: async () => (floorProcess.kill(), await floorProcess.status),
  },
  await service("service, tracing exported", { ...settings, OTEL_EXPORTER_OTLP_ENDPOINT: fake.otlp }),
  await service("service, tracing off", settings),
  // What kept-alive connections to 8x8 buy: the same service on a fresh connection per call, as behind a proxy.
  await service("service, tracing off, EIGHTBYEIGHT_KEEP_ALIVE=false", {
    ...settings,
    EIGHTBYEIGHT_KEEP_ALIVE: "false",
  }),
];
const traced = targets[1]!;

const results = new Map<string, Round[]>(targets.map((target) => [target.name, []]));
let tracedRequests = 0;
let rssAfterWarmUp = 0;
let rssAfterAll = 0;
try {
  for (const target of targets) await wrk(target.url, 2, `warm-${target.name.length}`);
  for (let warmed = 0, extra = 0; warmed < WARM_UP_REQUESTS; extra++) {
    warmed += (await wrk(traced.url, 2, `warm-traced-${extra}`)).requests;
  }
  rssAfterWarmUp = await rssKiB(traced.pid);
  for (let turn = 0; turn < ROUNDS; turn++) {
    const order = [...targets.slice(turn % targets.length), ...targets.slice(0, turn % targets.length)];
    for (const target of order) {
      const result = await round(target, ROUND_SECONDS, `r${turn}-${target.name.length}`);
      results.get(target.name)!.push(result);
      if (target === traced) tracedRequests += result.requests;
    }
  }
  for (let extra = 0; tracedRequests < RSS_REQUESTS; extra++) {
    tracedRequests += (await wrk(traced.url, ROUND_SECONDS, `rss${extra}`)).requests;
  }
  rssAfterAll = await rssKiB(traced.pid);
  const metrics = await (await fetch(traced.url.replace("/telephony-hook", "/metrics"), {
    headers: { authorization: settings.METRICS_AUTH },
  })).text();
  const failed = metrics.split("\n").filter((line) =>
    line.includes('outcome="') && !line.includes('outcome="delivered"')
  );
  let delivered = 0;
  let answered = 0;
  for (const line of metrics.split("\n").filter((line) => line.startsWith("otp_deliveries_total{"))) {
    const count = Number(line.slice(line.lastIndexOf(" ") + 1));
    answered += count;
    if (line.includes('outcome="delivered"')) delivered += count;
  }
  console.log(
    `\nTraced service: ${delivered} of ${answered} passcodes delivered to the fake 8x8 ` +
      `(${(100 * delivered / answered).toFixed(2)}%) on the honest stream, default abuse rules on.`,
  );
  if (failed.length > 0) {
    console.log(`\n!!! The traced service answered something other than SUCCESSFUL:\n${failed.join("\n")}`);
  }
} finally {
  for (const target of targets) await target.stop();
  backends.kill();
  await backends.status;
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
    coldStartMs: target.coldStartMs,
  };
});
const floor = rows[0]!;
console.log(
  `\nwrk: 1 thread, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${ROUND_SECONDS} s per target\n`,
);
console.log(
  "| target | req/s | p50 ms | p99 ms | req/s vs floor | p99 vs floor | non-2xx | CPU µs/request | CPU vs floor | cold start ms |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const row of rows) {
  console.log(
    `| ${row.name} | ${row.rps.toFixed(0)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ` +
      `${(row.rps / floor.rps).toFixed(2)}× | ${(row.p99 / floor.p99).toFixed(2)}× | ${row.non2xx} | ` +
      `${row.cpuMicroseconds.toFixed(0)} | ${(row.cpuMicroseconds / floor.cpuMicroseconds).toFixed(2)}× | ` +
      `${row.coldStartMs === undefined ? "" : row.coldStartMs.toFixed(0)} |`,
  );
}
console.log(
  "\nCPU µs/request: user and system time of the target's whole process during its rounds, per request answered.",
);
const growth = (rssAfterAll / rssAfterWarmUp - 1) * 100;
console.log(
  `\nTraced service RSS: ${
    (rssAfterWarmUp / 1024).toFixed(1)
  } MiB after a warm-up of ${WARM_UP_REQUESTS}+ requests, ` +
    `${(rssAfterAll / 1024).toFixed(1)} MiB after ${tracedRequests} requests (${growth >= 0 ? "+" : ""}${
      growth.toFixed(1)
    }%).`,
);
