// Two service processes on one local Deno KV file, as on one host behind a load balancer: Okta's copies of one
// event may reach either, and the user must still get one SMS and every copy the same answer.
import assert from "node:assert/strict";
import { startFake8x8 } from "../fakes/fake_8x8.ts";
import { oktaRequest } from "../support/okta_requests.ts";
import { liveEnvironment, type ServiceProcess, START_FLAGS, startMain } from "../support/subprocess.ts";

const SECRET = "shared-kv-okta-secret-0123";
const STATE = new URL("../../.state", import.meta.url).pathname;

Deno.test("[shared kv] 10 copies of one eventId across two processes on one KV file: one SMS, ten identical answers", async () => {
  const fake = startFake8x8();
  // The state folder the permission set of `deno task start` and the binary allows: no flag added.
  await Deno.mkdir(STATE, { recursive: true });
  const kvFile = `${STATE}/shared-kv-${crypto.randomUUID()}.sqlite3`;
  const env = { ...liveEnvironment(fake, SECRET), STATE_STORE: "kv", KV_URL: kvFile };
  const flags = START_FLAGS;
  const services: ServiceProcess[] = [];
  try {
    services.push(await startMain(env, flags), await startMain(env, flags));
    const body = JSON.stringify(oktaRequest({ phoneNumber: "+14155552671" }, "evt-shared-kv"));
    const post = (service: ServiceProcess) =>
      fetch(`${service.url}/telephony-hook`, {
        method: "POST",
        headers: { authorization: SECRET, "content-type": "application/json" },
        body,
      }).then((response) => response.text());
    // 8x8 takes its time with the first copy, so the other nine arrive while it is in flight.
    fake.answerNext("slow");
    const first = post(services[0]!);
    await fake.nextRequest();
    const copies = Array.from({ length: 9 }, (_, index) => post(services[(index + 1) % 2]!));
    const answers = await Promise.all([first, ...copies]);

    assert.equal(fake.requests.length, 1, "one SMS");
    assert.equal(new Set(answers).size, 1, `ten identical answers:\n${[...new Set(answers)].join("\n")}`);
    assert.equal(JSON.parse(answers[0]!).commands[0].value[0].status, "SUCCESSFUL");
  } finally {
    const logs = await Promise.all(services.map((service) => service.stop()));
    await fake.close();
    for (const suffix of ["", "-wal", "-shm"]) await Deno.remove(kvFile + suffix).catch(() => {});
    for (const { stdout } of logs) assert.doesNotMatch(stdout, /store_failed|duplicate_in_flight/);
  }
});
