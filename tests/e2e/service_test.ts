// The service as users run it: a separate process started like `deno task start`, Okta's verbatim sample in,
// a fake 8x8 behind it, and every byte it printed checked for personal data and secrets.
import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { startFake8x8 } from "../fakes/fake_8x8.ts";
import { oktaRequest, PREVIEW_OTP, PREVIEW_PHONE, PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { liveEnvironment, runMain, startMain } from "../support/subprocess.ts";

const SECRET = "e2e-okta-secret-5b1f0c9a";
const E164_REQUEST_PHONE = "+14155552671";

function post(url: string, body: string, secret: string) {
  return fetch(url, {
    method: "POST",
    headers: { authorization: secret, "content-type": "application/json" },
    body,
  });
}

Deno.test("[e2e] with 8x8 configured: one correct 8x8 call per request, SUCCESSFUL answers, nothing personal printed", async () => {
  const fake = startFake8x8();
  const service = await startMain({ ...liveEnvironment(fake, SECRET), EIGHTBYEIGHT_SMS_SOURCE: "Acme" });
  try {
    const hook = `${service.url}/telephony-hook`;
    const verbatim = await (await post(hook, PREVIEW_SAMPLE_TEXT, SECRET)).json();
    assert.equal(verbatim.commands[0].value[0].status, "SUCCESSFUL");
    assert.equal(fake.requests.length, 1);

    const e164 = JSON.stringify(
      oktaRequest({ phoneNumber: E164_REQUEST_PHONE, otpCode: "987654" }, "evt-e164"),
    );
    const answer = await (await post(hook, e164, SECRET)).json();
    assert.equal(answer.commands[0].value[0].status, "SUCCESSFUL");
    assert.equal(fake.requests.length, 2);
    assert.deepEqual(fake.requests.map((r) => r.violations), [[], []]);
    assert.deepEqual(fake.requests.map((r) => (r.body as { destination: string }).destination), [
      `+${PREVIEW_PHONE}`,
      E164_REQUEST_PHONE,
    ]);
    const umids = [verbatim, answer].map((a) => a.commands[0].value[0].transactionId);
    assert.ok(umids.every((umid) => /^[0-9a-f-]{36}$/.test(umid)) && umids[0] !== umids[1]);

    const refused = await post(hook, PREVIEW_SAMPLE_TEXT, "not-the-secret");
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const malformed = await post(hook, "{", SECRET);
    assert.equal(malformed.status, 400);
    await malformed.body?.cancel();
    assert.equal(fake.requests.length, 2);
  } finally {
    const { code, stdout, stderr } = await service.stop();
    await fake.close();
    assert.equal(code, 0, "SIGTERM is a graceful stop");
    const printed = stdout + stderr;
    assert.match(stdout, /"event":"hook"/);
    for (
      const secret of [PREVIEW_OTP, "987654", PREVIEW_PHONE, "4155552671", SECRET, fake.apiKey, "Your code"]
    ) {
      assert.ok(!printed.includes(secret), `the service printed ${secret}`);
    }
  }
});

Deno.test("[e2e] with no configuration: sandbox on 127.0.0.1, says so, and the printed curl works", async () => {
  const service = await startMain({});
  try {
    assert.equal(service.hostname, "127.0.0.1");
    const health = await (await fetch(`${service.url}/healthz`)).json();
    assert.deepEqual(health, { status: "ok", version: denoJson.version, mode: "sandbox" });
    const curlHeader = await service.stderrLine((line) => line.includes('-H "authorization: '));
    const secret = /-H "authorization: ([^"]+)"/.exec(curlHeader ?? "")?.[1] ?? "";
    assert.ok(secret.length >= 16, "the banner prints the generated secret");
    const answer = await (await post(`${service.url}/telephony-hook`, PREVIEW_SAMPLE_TEXT, secret)).json();
    assert.equal(answer.commands[0].value[0].status, "SUCCESSFUL");
  } finally {
    const { stderr } = await service.stop();
    assert.match(stderr, /SANDBOX MODE/);
  }
});

Deno.test("[e2e] sandbox answers Okta's preview with provider sandbox and never prints a configured secret", async () => {
  const service = await startMain({ OKTA_AUTH_SECRET: SECRET });
  try {
    const answer = await (await post(`${service.url}/telephony-hook`, PREVIEW_SAMPLE_TEXT, SECRET)).json();
    assert.equal(answer.commands[0].value[0].status, "SUCCESSFUL");
    assert.equal(answer.commands[0].value[0].provider, "sandbox");
  } finally {
    const { stdout, stderr } = await service.stop();
    assert.match(stdout, /"event":"sandbox_sms".*"destination":"\+98\*\*\*\*3210"/);
    assert.match(stderr, /\$OKTA_AUTH_SECRET/);
    for (const secret of [SECRET, PREVIEW_OTP, PREVIEW_PHONE]) assert.ok(!(stdout + stderr).includes(secret));
  }
});

Deno.test("[e2e] partial 8x8 settings stop the start with every problem listed", async () => {
  const output = await runMain({ EIGHTBYEIGHT_API_KEY: "a-secret-api-key-value", PORT: "nope" }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 1);
  assert.match(stderr, /PORT/);
  assert.match(stderr, /EIGHTBYEIGHT_SUBACCOUNT_ID is required/);
  assert.match(stderr, /OKTA_AUTH_SECRET is required/);
  assert.match(stderr, /\.env\.example/);
  assert.ok(!stderr.includes("a-secret-api-key-value"));
});

Deno.test("[e2e] --version prints the version from deno.json", async () => {
  const output = await runMain({}, ["--version"]).output();
  assert.equal(output.code, 0);
  assert.equal(new TextDecoder().decode(output.stdout).trim(), denoJson.version);
});

Deno.test("[e2e] --healthcheck exits 0 while the service answers /healthz, and 1 when nothing listens", async () => {
  const service = await startMain({});
  const port = new URL(service.url).port;
  try {
    const healthy = await runMain({ PORT: port }, ["--healthcheck"]).output();
    assert.equal(healthy.code, 0);
  } finally {
    await service.stop();
  }
  const unhealthy = await runMain({ PORT: port }, ["--healthcheck"]).output();
  assert.equal(unhealthy.code, 1);
});

Deno.test("[e2e] a port in use, or a HOST that is no address, is a configuration problem, not a stack trace", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = String((holder.addr as Deno.NetAddr).port);
    const inUse = await runMain({ HOST: "127.0.0.1", PORT: port }).output();
    const inUseText = new TextDecoder().decode(inUse.stderr);
    assert.equal(inUse.code, 1);
    assert.match(inUseText, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(inUseText, /^\s+at /m, "no stack trace");
  } finally {
    holder.close();
  }
  const badHost = await runMain({ HOST: "not an address" }).output();
  const badHostText = new TextDecoder().decode(badHost.stderr);
  assert.equal(badHost.code, 1);
  assert.match(badHostText, /HOST must be an IP address or a host name/);
  assert.doesNotMatch(badHostText, /^\s+at /m);
  // A well-formed name that does not resolve here fails when listening, and says so just as plainly.
  const unknownHost = await runMain({ HOST: "not-an-address", SANDBOX: "true" }).output();
  const unknownHostText = new TextDecoder().decode(unknownHost.stderr);
  assert.equal(unknownHost.code, 1);
  assert.match(unknownHostText, /cannot listen on not-an-address:3000/);
  assert.doesNotMatch(unknownHostText, /^\s+at /m);
});
