// Deno Deploy's rules, reproduced locally: the platform picks the listen address (through Deno's
// DENO_SERVE_ADDRESS), nothing may be written to disk, and no subprocess may be started.
import assert from "node:assert/strict";
import { startFake8x8 } from "../fakes/fake_8x8.ts";
import { PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { liveEnvironment, startMain } from "../support/subprocess.ts";

const SECRET = "deploy-okta-secret-0123456";
const DEPLOY_LIKE_FLAGS = ["--allow-net", "--allow-env", "--allow-read", "--deny-write", "--deny-run"];

Deno.test("[deploy] under Deploy-like permissions the service takes the platform's address and serves the hook", async () => {
  const fake = startFake8x8();
  const { HOST: _host, ...settings } = liveEnvironment(fake, SECRET);
  // PORT=1 would fail to bind: the service must not use it when the platform sets the address.
  const service = await startMain({
    ...settings,
    PORT: "1",
    DENO_DEPLOY: "true",
    DENO_DEPLOYMENT_ID: "e2e-deployment",
    DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0",
  }, DEPLOY_LIKE_FLAGS);
  try {
    assert.equal(service.hostname, "127.0.0.1");
    assert.notEqual(new URL(service.url).port, "1");
    assert.equal((await (await fetch(`${service.url}/healthz`)).json()).status, "ok");
    const answer = await (await fetch(`${service.url}/telephony-hook`, {
      method: "POST",
      headers: { authorization: SECRET, "content-type": "application/json" },
      body: PREVIEW_SAMPLE_TEXT,
    })).json();
    assert.equal(answer.commands[0].value[0].status, "SUCCESSFUL");
    assert.equal(fake.requests.length, 1);
  } finally {
    const { code, stderr } = await service.stop();
    await fake.close();
    assert.equal(code, 0);
    assert.doesNotMatch(stderr, /NotCapable|PermissionDenied/);
  }
});

Deno.test("[deploy] DENO_DEPLOY=true without Deploy's other variables listens on HOST and PORT, and says why", async () => {
  const fake = startFake8x8();
  // Deno's default address would be 0.0.0.0:8000, reachable from everywhere; HOST must win.
  const service = await startMain({ ...liveEnvironment(fake, SECRET), DENO_DEPLOY: "true" });
  try {
    assert.equal(service.hostname, "127.0.0.1");
    assert.notEqual(new URL(service.url).port, "8000");
  } finally {
    // Warnings are written before `listening`; reading them after the stop cannot wait forever.
    const { stdout } = await service.stop();
    await fake.close();
    assert.match(stdout, /"level":"warn","event":"config_warning".*not Deno Deploy/);
  }
});

Deno.test("[deploy] a misspelled setting is named at start, with the setting it was meant to be", async () => {
  const fake = startFake8x8();
  const service = await startMain({
    ...liveEnvironment(fake, SECRET),
    EIGHT_BY_EIGHT_VOICE_SOURCE: "+6588000000",
  });
  const { stdout } = await service.stop();
  await fake.close();
  const warning = stdout.split("\n").find((line) => line.includes("config_warning")) ?? "";
  assert.match(warning, /EIGHT_BY_EIGHT_VOICE_SOURCE .*did you mean EIGHTBYEIGHT_VOICE_SOURCE/);
  // Names only: the value never reaches the log.
  assert.doesNotMatch(warning, /6588000000/);
});
