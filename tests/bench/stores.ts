// `deno task bench`, second part: the replay store and rate limits on an honest load, where every request is a
// new hook (its own eventId, user and US number) with the default abuse rules on. Three measurements:
//  1. STATE_STORE=kv, RATE_LIMIT_PER_COUNTRY=9000/1h: 9,400 requests at 16 concurrent deliver 9,000, on one
//     instance and on two sharing one KV file.
//  2. In memory, CPU per request with RATE_LIMIT_PER_COUNTRY=1000000/1h against that limit off, after 100,000
//     requests each, in alternating rounds.
//  3. In memory, an eventId repeated 60 s and 300,000 requests after its first copy is a replay, and the RSS.
import { startFake8x8 } from "../fakes/fake_8x8.ts";
import { signInRequest } from "../support/okta_requests.ts";
import { liveEnvironment, type ServiceProcess, START_FLAGS, startMain } from "../support/subprocess.ts";

const SECRET = "bench-stores-okta-secret-0123";
const COST_ROUNDS = 5;
// `deno run … stores.ts [kv] [cost] [repeat]`: some parts only; all three by default.
const parts = Deno.args.length > 0 ? new Set(Deno.args) : new Set(["kv", "cost", "repeat"]);
const fake = startFake8x8({ keep: false });
const base = { ...liveEnvironment(fake, SECRET), METRICS_AUTH: `Bearer ${SECRET}-metrics` };
let sequence = 0;

// A user's sign-in (no Admin Console context): a new event, user and number every time.
function hook(eventId = `bench-${sequence}`): string {
  const index = sequence++;
  const request = signInRequest({ phoneNumber: `+1415${2_000_000 + index}` }, eventId) as {
    data: Record<string, Record<string, unknown>>;
  };
  request.data.userProfile!.userId = `00u-bench-${index}`;
  return JSON.stringify(request);
}

let answered = 0;

async function post(service: ServiceProcess, body: string): Promise<string> {
  answered++;
  const response = await fetch(`${service.url}/telephony-hook`, {
    method: "POST",
    headers: { authorization: SECRET, "content-type": "application/json" },
    body,
  });
  const action = (await response.json()).commands[0].value[0];
  return action.status === "FAILED" ? action.transactionMetadata : action.status;
}

// `count` requests at `concurrency`, spread over the services in turn; returns how often each answer came.
async function burst(services: ServiceProcess[], count: number, concurrency: number) {
  const answers = new Map<string, number>();
  let sent = 0;
  const worker = async () => {
    while (sent < count) {
      const answer = await post(services[sent++ % services.length]!, hook());
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answers;
}

async function cpuMs(pid: number): Promise<number> {
  const output = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).output();
  const fields = new TextDecoder().decode(output.stdout).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ is 100
}

async function rssMiB(pid: number): Promise<number> {
  const output = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
  return Number(new TextDecoder().decode(output.stdout).trim()) / 1024;
}

async function stopAll(services: ServiceProcess[]): Promise<string> {
  const stopped = await Promise.all(services.map((service) => service.stop()));
  return stopped.map(({ stdout }) => stdout).join("");
}

async function kvBurst(instances: number): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "bench-kv-" });
  const env = {
    ...base,
    STATE_STORE: "kv",
    KV_URL: `${folder}/hook.sqlite`,
    RATE_LIMIT_PER_COUNTRY: "9000/1h",
  };
  const flags = [...START_FLAGS, `--allow-read=${folder}`, `--allow-write=${folder}`];
  const services = await Promise.all(Array.from({ length: instances }, () => startMain(env, flags)));
  const sendsBefore = fake.received;
  const started = performance.now();
  const answers = await burst(services, 9_400, 16);
  const seconds = (performance.now() - started) / 1000;
  const log = await stopAll(services);
  await Deno.remove(folder, { recursive: true });
  const problems = log.split("\n").filter((line) => /store_failed|store_problem/.test(line)).length;
  console.log(
    `| ${instances} | ${answers.get("SUCCESSFUL") ?? 0} | ${fake.received - sendsBefore} | ` +
      `${JSON.stringify(Object.fromEntries(answers))} | ${problems} | ${(9_400 / seconds).toFixed(0)} |`,
  );
}

// Which service process starts first changed its CPU per request by 40% in this harness, whatever its settings,
// so the comparison runs in both orders and reports the geometric mean of the two ratios.
async function limitCost(): Promise<number> {
  const ratios = [];
  for (const onFirst of [true, false]) {
    const start = (env: Record<string, string>) => startMain(env, undefined, { keepStdout: false });
    const first = await start(onFirst ? { ...base, RATE_LIMIT_PER_COUNTRY: "1000000/1h" } : base);
    const second = await start(onFirst ? base : { ...base, RATE_LIMIT_PER_COUNTRY: "1000000/1h" });
    const [on, off] = onFirst ? [first, second] : [second, first];
    const targets = [["per-country limit 1000000/1h", on], ["per-country limit off", off]] as const;
    for (const service of [first, second]) await burst([service], 100_000, 32);
    const cost = new Map<string, { cpu: number; requests: number }>();
    for (let round = 0; round < 2 * COST_ROUNDS; round++) {
      const [name, service] = targets[round % 2]!;
      const before = await cpuMs(service.pid);
      await burst([service], 10_000, 32);
      const spent = cost.get(name) ?? { cpu: 0, requests: 0 };
      cost.set(name, {
        cpu: spent.cpu + (await cpuMs(service.pid)) - before,
        requests: spent.requests + 10_000,
      });
    }
    await stopAll([on, off]);
    const perRequest = (name: string) => cost.get(name)!.cpu * 1000 / cost.get(name)!.requests;
    const order = onFirst ? "limit on started first" : "limit off started first";
    for (const [name] of targets) console.log(`| ${order} | ${name} | ${perRequest(name).toFixed(0)} |`);
    ratios.push(perRequest(targets[0][0]) / perRequest(targets[1][0]));
  }
  const ratio = Math.sqrt(ratios[0]! * ratios[1]!);
  console.log(
    `\nlimit on / limit off: ${ratios.map((r) => r.toFixed(3)).join(" and ")}, geometric mean ${
      ratio.toFixed(3)
    }`,
  );
  return ratio;
}

async function lateRepeat(): Promise<void> {
  const service = await startMain(base, undefined, { keepStdout: false });
  const rssIdle = await rssMiB(service.pid);
  const first = hook("bench-repeated-event");
  const firstAnswer = await post(service, first);
  const started = performance.now();
  await burst([service], 300_000, 32);
  const seconds = (performance.now() - started) / 1000;
  const sendsBefore = fake.received;
  const repeatAnswer = await post(service, first);
  const rssAfter = await rssMiB(service.pid);
  console.log(
    `first copy ${firstAnswer}; repeat after 300,000 requests and ${
      seconds.toFixed(0)
    } s: ${repeatAnswer}, ` +
      `${fake.received - sendsBefore} new sends to 8x8`,
  );
  console.log(`RSS ${rssIdle.toFixed(0)} MiB at start, ${rssAfter.toFixed(0)} MiB after`);
  // Past the budget, memory should stop growing: early evictions take over.
  try {
    await burst([service], 300_000, 32);
  } catch (error) {
    const { code, stderr } = await service.stop();
    const summary = `the service stopped answering after ${answered} requests (exit ${code})`;
    throw new Error(`${summary}:\n${stderr.slice(-4_000)}`, { cause: error });
  }
  console.log(
    `RSS after 300,000 more (past the default budget): ${(await rssMiB(service.pid)).toFixed(0)} MiB`,
  );
  const metrics =
    await (await fetch(`${service.url}/metrics`, { headers: { authorization: base.METRICS_AUTH } }))
      .text();
  await stopAll([service]);
  console.log(
    metrics.split("\n").filter((line) => line.startsWith("otp_store")).join("\n") || "no store trouble",
  );
}

async function kvPart(): Promise<void> {
  console.log(
    "\n1. STATE_STORE=kv (one local file), RATE_LIMIT_PER_COUNTRY=9000/1h, 9,400 new hooks at 16 concurrent\n",
  );
  console.log("| instances | SUCCESSFUL | sends to 8x8 | answers | store problems logged | req/s |");
  console.log("|---|---|---|---|---|---|");
  await kvBurst(1);
  await kvBurst(2);
}

async function costPart(): Promise<void> {
  console.log(
    `\n2. In memory, CPU µs per request after 100,000 requests, ${COST_ROUNDS} alternating rounds of 10,000 each\n`,
  );
  console.log("| run | target | CPU µs/request |");
  console.log("|---|---|---|");
  await limitCost();
}

try {
  if (parts.has("kv")) await kvPart();
  if (parts.has("cost")) await costPart();
  if (parts.has("repeat")) {
    console.log("\n3. In memory: one eventId repeated after 300,000 other new hooks\n");
    await lateRepeat();
  }
} finally {
  await fake.close();
}
