import assert from "node:assert/strict";
import { SECRET, startService } from "../support/service.ts";
import { runDeno } from "../support/subprocess.ts";

const PREVIEW = new URL("../../src/tools/preview.ts", import.meta.url).pathname;

function runPreview(env: Record<string, string>, args: string[]) {
  return runDeno(["run", "--allow-net=127.0.0.1", "--allow-env", "--allow-read", PREVIEW, ...args], env)
    .output();
}

Deno.test("[preview] sends Okta's preview sample and prints the service's answer", async () => {
  const service = startService();
  try {
    const output = await runPreview({ OKTA_AUTH_SECRET: SECRET }, ["--url", `${service.url}/telephony-hook`]);
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    assert.match(stdout, /^HTTP 200 from /);
    assert.match(stdout, /"status": "SUCCESSFUL"/);
    assert.equal(service.fake.requests.length, 1);
    // The sample's 2022 expiry is moved ahead, or a real 8x8 would drop the SMS.
    const expiry = Date.parse((service.fake.requests[0]!.body as { expiry: string }).expiry);
    assert.ok(
      expiry > Date.now() && expiry <= Date.now() + 5 * 60_000,
      "expiry is within the next five minutes",
    );
    assert.match(new TextDecoder().decode(output.stderr), /otpExpires was in the past/);
  } finally {
    await service.close();
  }
});

Deno.test("[preview] a wrong secret shows the 401 and exits non-zero", async () => {
  const service = startService();
  try {
    const output = await runPreview({ OKTA_AUTH_SECRET: "a-wrong-secret-of-length" }, [
      "--url",
      `${service.url}/telephony-hook`,
    ]);
    assert.equal(output.code, 1);
    assert.match(new TextDecoder().decode(output.stdout), /HTTP 401/);
    assert.equal(service.fake.requests.length, 0);
  } finally {
    await service.close();
  }
});

Deno.test("[preview] without OKTA_AUTH_SECRET it explains what to set", async () => {
  const output = await runPreview({}, []);
  assert.equal(output.code, 2);
  assert.match(new TextDecoder().decode(output.stderr), /Set OKTA_AUTH_SECRET/);
});

Deno.test("[preview] two runs send two SMS; the same --event-id again is a replay, and says so", async () => {
  const service = startService();
  try {
    const run = async (...args: string[]) => {
      const output = await runPreview({ OKTA_AUTH_SECRET: SECRET }, [
        "--url",
        `${service.url}/telephony-hook`,
        ...args,
      ]);
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      return new TextDecoder().decode(output.stdout);
    };
    assert.match(await run(), /: a new delivery$/m);
    assert.match(await run(), /: a new delivery$/m);
    assert.equal(service.fake.requests.length, 2, "two runs, two SMS");
    assert.match(await run("--event-id", "preview-repeat-1"), /eventId preview-repeat-1: a new delivery/);
    assert.match(await run("--event-id", "preview-repeat-1"), /eventId preview-repeat-1: replayed/);
    assert.equal(service.fake.requests.length, 3, "the replay sent nothing");
  } finally {
    await service.close();
  }
});

Deno.test("[preview] with real 8x8 settings, Okta's placeholder number is never texted: --phone is required", async () => {
  const output = await runPreview({
    OKTA_AUTH_SECRET: SECRET,
    EIGHTBYEIGHT_API_KEY: "a-real-looking-key",
    EIGHTBYEIGHT_SUBACCOUNT_ID: "acme_otp",
  }, ["--url", "http://127.0.0.1:9/telephony-hook"]);
  assert.equal(output.code, 2);
  assert.match(new TextDecoder().decode(output.stderr), /pass --phone/);
});
