// Out of file descriptors, a server can refuse new connections; it must not end. Run under `ulimit -n 64`.
import assert from "node:assert/strict";
import { START_FLAGS, startProcess } from "../support/subprocess.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const quoted = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

Deno.test("[e2e] past the file descriptor limit the service refuses connections for a while, then serves again", async () => {
  const command = `ulimit -n 64 && exec ${
    [Deno.execPath(), "run", ...START_FLAGS, MAIN].map(quoted).join(" ")
  }`;
  const service = await startProcess("sh", ["-c", command], {
    HOST: "127.0.0.1",
    PORT: "0",
    OKTA_AUTH_SECRET: "descriptor-okta-secret-0123",
  });
  const idle: Deno.Conn[] = [];
  try {
    // Idle connections, far past what 64 descriptors allow.
    for (let index = 0; index < 100; index++) {
      try {
        idle.push(
          await Deno.connect({ hostname: service.hostname, port: Number(new URL(service.url).port) }),
        );
      } catch {
        break; // refused: the listener is down, which is allowed
      }
    }
    // How many fit depends on what the runtime holds open itself; what matters is that the limit was reached.
    assert.ok(idle.length > 20, `only ${idle.length} connections opened`);
    assert.ok(await service.stdoutLine((line) => line.includes(`"event":"listener_failed"`)));
    idle.splice(0).forEach((conn) => conn.close());
    // Serving again once descriptors are free: poll, bounded, rather than guess a delay.
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      status = await fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(1_000) })
        .then(async (response) => (await response.body?.cancel(), response.status))
        .catch(() => 0);
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 200);
  } finally {
    idle.forEach((conn) => conn.close());
    const { code } = await service.stop();
    assert.equal(code, 0, "a graceful stop: the process was alive all along");
  }
});
