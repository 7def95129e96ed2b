// The log reader is not ours: a stuck shipper or a full pipe must never stop the service, nor a closed one end it.
import assert from "node:assert/strict";
import { PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { runMain } from "../support/subprocess.ts";

const SECRET = "stalled-reader-okta-secret-01";

Deno.test("[e2e] with nobody reading its log, and then with the pipe closed, the service keeps answering", async () => {
  const child = runMain({ HOST: "127.0.0.1", PORT: "0", OKTA_AUTH_SECRET: SECRET });
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes(`"event":"listening"`)) text += (await reader.read()).value ?? "";
  const url = JSON.parse(text.split("\n").find((line) => line.includes(`"event":"listening"`))!).url;
  const hook = () =>
    fetch(`${url}/telephony-hook`, {
      method: "POST",
      headers: { authorization: SECRET, "content-type": "application/json" },
      body: PREVIEW_SAMPLE_TEXT,
      // A bound, so a frozen service fails the test instead of hanging it.
      signal: AbortSignal.timeout(5_000),
    }).then(async (response) => (await response.body?.cancel(), response.status));
  const burst = async (count: number) => {
    const statuses: number[] = [];
    for (let sent = 0; sent < count; sent += 32) {
      statuses.push(...await Promise.all(Array.from({ length: 32 }, hook)));
    }
    return statuses;
  };
  try {
    // About 1.5 MB of log lines, far past a pipe's 64 KiB, while the reader reads nothing.
    assert.deepEqual([...new Set(await burst(3_200))], [200]);
    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(health.status, 200);
    await health.body?.cancel();
    // The reader goes away: the next writes meet a closed pipe.
    await reader.cancel();
    assert.deepEqual([...new Set(await burst(320))], [200]);
  } finally {
    child.kill("SIGTERM");
    // A process frozen in a write cannot even take the signal: bound the wait, then end it for good.
    let bound: ReturnType<typeof setTimeout> | undefined;
    const frozen = new Promise<"frozen">((resolve) => (bound = setTimeout(() => resolve("frozen"), 5_000)));
    const stopped = await Promise.race([child.status, frozen]);
    clearTimeout(bound);
    if (stopped === "frozen") child.kill("SIGKILL");
    await child.status;
    await child.stderr.cancel();
    assert.notEqual(stopped, "frozen", "the service did not stop on SIGTERM");
    assert.equal(stopped !== "frozen" && stopped.code, 0, "a graceful stop, not a crash");
  }
});
