// `deno serve --parallel`: one instance per core on one port, sharing their stores through a KV file. Copies of
// one Okta event reach different workers, and the user still gets one SMS.
import assert from "node:assert/strict";
import { startFake8x8 } from "../fakes/fake_8x8.ts";
import { oktaRequest } from "../support/okta_requests.ts";
import { liveEnvironment, spawn, START_FLAGS } from "../support/subprocess.ts";

const SERVE = new URL("../../src/serve.ts", import.meta.url).pathname;
const STATE = new URL("../../.state", import.meta.url).pathname;
const SECRET = "parallel-okta-secret-0123";

Deno.test("[serve --parallel] two workers on one port share a KV file: ten copies of one event, one SMS", async () => {
  const fake = startFake8x8();
  await Deno.mkdir(STATE, { recursive: true });
  const kvFile = `${STATE}/parallel-${crypto.randomUUID()}.sqlite3`;
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const permissions = START_FLAGS.filter((flag) => flag !== "--env-file");
  const child = spawn(Deno.execPath(), [
    "serve",
    "--parallel",
    ...permissions,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    SERVE,
  ], { ...liveEnvironment(fake, SECRET), DENO_JOBS: "2", STATE_STORE: "kv", KV_URL: kvFile });
  const stdout = new Response(child.stdout).text();
  const stderr = new Response(child.stderr).text();
  const url = `http://127.0.0.1:${port}`;
  let failure: unknown;
  try {
    // Serving once /healthz answers: poll, bounded, rather than guess a delay.
    let healthy = false;
    for (let attempt = 0; attempt < 100 && !healthy; attempt++) {
      healthy = await fetch(`${url}/healthz`).then(async (r) => (await r.body?.cancel(), r.ok), () => false);
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(healthy, "deno serve came up");
    const body = JSON.stringify(
      oktaRequest({ phoneNumber: "+14155552671" }, `evt-parallel-${crypto.randomUUID()}`),
    );
    const post = () =>
      fetch(`${url}/telephony-hook`, {
        method: "POST",
        headers: { authorization: SECRET, "content-type": "application/json", connection: "close" },
        body,
      }).then((response) => response.text());
    fake.answerNext("slow");
    const first = post();
    await fake.nextRequest();
    const answers = await Promise.all([first, ...Array.from({ length: 9 }, post)]);
    assert.equal(fake.requests.length, 1, "one SMS");
    assert.equal(new Set(answers).size, 1, "ten identical answers");
    assert.equal(JSON.parse(answers[0]!).commands[0].value[0].status, "SUCCESSFUL");
  } catch (error) {
    failure = error;
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // It has exited already; its logs below say why.
    }
    await child.status;
    await fake.close();
    for (const suffix of ["", "-wal", "-shm"]) await Deno.remove(kvFile + suffix).catch(() => {});
  }
  const logs = `${await stdout}\n${await stderr}`;
  if (failure !== undefined) throw new Error(`${failure}\n--- deno serve's output:\n${logs}`);
  assert.equal(logs.match(/"event":"stores","kind":"kv"/g)?.length, 2, `two workers started:\n${logs}`);
  assert.doesNotMatch(logs, /store_failed|duplicate_in_flight/);
});
