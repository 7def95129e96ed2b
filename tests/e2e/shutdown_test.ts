// SIGTERM while a request is still waiting for a slow 8x8: the request is answered, then the process exits 0.
import assert from "node:assert/strict";
import { startFake8x8 } from "../fakes/fake_8x8.ts";
import { PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { liveEnvironment, startMain } from "../support/subprocess.ts";

const SECRET = "shutdown-okta-secret-0123";

Deno.test("[shutdown] SIGTERM during a slow in-flight request: it is still answered, then the process exits 0", async () => {
  const fake = startFake8x8();
  fake.answerWith("held");
  const service = await startMain(liveEnvironment(fake, SECRET));
  try {
    const answer = fetch(`${service.url}/telephony-hook`, {
      method: "POST",
      headers: { authorization: SECRET, "content-type": "application/json" },
      body: PREVIEW_SAMPLE_TEXT,
    });
    await fake.nextRequest(); // the request is in flight, held by 8x8
    const stopped = service.stop();
    await service.stdoutLine((line) => line.includes(`"event":"stopping"`)); // the signal has landed
    fake.releaseHeld();
    const response = await answer;
    assert.equal(response.status, 200);
    assert.equal((await response.json()).commands[0].value[0].status, "SUCCESSFUL");
    const { code, stdout } = await stopped;
    assert.equal(code, 0);
    assert.ok(
      stdout.indexOf(`"event":"hook"`) < stdout.indexOf(`"event":"stopped"`),
      "answered before it stopped",
    );
  } finally {
    await fake.close();
  }
});
