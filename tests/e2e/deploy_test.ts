// Deno Deploy's rules, reproduced locally: the platform picks the listen address (through Deno's
// DENO_SERVE_ADDRESS), nothing may be written to disk, and no subprocess may be started.
import assert from "node:assert/strict";
import { startFake8x8 } from "../fakes/fake_8x8.ts";
import { oktaRequest } from "../support/okta_requests.ts";
import { liveEnvironment, startMain } from "../support/subprocess.ts";

const SECRET = "deploy-okta-secret-0123456";
const DEPLOY_LIKE_FLAGS = ["--allow-net", "--allow-env", "--allow-read", "--deny-write", "--deny-run"];
// What Deno Deploy sets in every context (docs.deno.com/deploy/reference/env_vars_and_contexts, "Predefined
// environment variables"); users cannot set DENO_ names there.
const DEPLOY_ENVIRONMENT = {
  DENO_DEPLOY: "true",
  DENO_DEPLOY_ORGANIZATION_ID: "2f6f1c4e-7a51-4a8e-9f0e-6f1d2c3b4a59",
  DENO_DEPLOY_ORGANIZATION_SLUG: "acme",
  DENO_DEPLOY_APPLICATION_ID: "8c1d7e2a-5b3f-4c9d-a6e8-1f2b3c4d5e6f",
  DENO_DEPLOY_APPLICATION_SLUG: "okta-8x8-hook",
  DENO_DEPLOY_BUILD_ID: "bld_01hx2k3m4n5p6q7r8s9t",
  DENO_DEPLOYMENT_ID: "dpl_01hx2k3m4n5p6q7r8s9t",
  DENO_TIMELINE: "production",
};

Deno.test("[deploy] under Deploy-like permissions the service takes the platform's address and serves the hook", async () => {
  const fake = startFake8x8();
  const { HOST: _host, ...settings } = liveEnvironment(fake, SECRET);
  // PORT=1 would fail to bind: the service must not use it when the platform sets the address.
  const service = await startMain({
    ...settings,
    PORT: "1",
    ...DEPLOY_ENVIRONMENT,
    // Deploy's KV database outlives every run of this test: limits would add up across runs.
    RATE_LIMIT_PER_NUMBER: "off",
    RATE_LIMIT_PER_USER: "off",
    DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0",
  }, DEPLOY_LIKE_FLAGS);
  try {
    assert.equal(service.hostname, "127.0.0.1");
    assert.notEqual(new URL(service.url).port, "1");
    assert.equal((await (await fetch(`${service.url}/healthz`)).json()).status, "ok");
    const answer = await (await fetch(`${service.url}/telephony-hook`, {
      method: "POST",
      headers: { authorization: SECRET, "content-type": "application/json" },
      // The KV database outlives the process, as Deploy's does: a new eventId each run, or it is a replay.
      body: JSON.stringify(oktaRequest({}, `deploy-${crypto.randomUUID()}`)),
    })).json();
    assert.equal(answer.commands[0].value[0].status, "SUCCESSFUL");
    assert.equal(fake.requests.length, 1);
    // No STATE_STORE set: replays, rate limits and receipts live in the app's KV database.
    const stores = JSON.parse((await service.stdoutLine((line) => line.includes(`"event":"stores"`)))!);
    assert.equal(stores.kind, "kv");
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
