// The service toward an 8x8 over HTTPS, as in production: its own kept-alive TLS connections, verified
// against the runtime's root store (here the test CA, given as `DENO_CERT` as an operator would give theirs).
import assert from "node:assert/strict";
import { signInRequest } from "../support/okta_requests.ts";
import { liveEnvironment, startMain } from "../support/subprocess.ts";
import { startRawTcp8x8, TEST_TLS } from "../fakes/raw_tcp_8x8.ts";

const SECRET = "tls-test-okta-secret-0123456789";

async function hook(url: string, eventId: string): Promise<string> {
  const answer = await fetch(`${url}/telephony-hook`, {
    method: "POST",
    headers: { authorization: SECRET, "content-type": "application/json" },
    body: JSON.stringify(signInRequest({ phoneNumber: "+6591234567" }, eventId)),
  });
  const body = await answer.json();
  return body.commands[0].value[0].status;
}

Deno.test("[8x8 tls] passcodes share one verified TLS connection; one 8x8 closes while idle is replaced, nothing resent", async () => {
  // The second answer is followed by 8x8 closing its side, as a server does at its idle timeout.
  const fake = startRawTcp8x8((index) => index === 1 ? "answer_then_half_close" : "answer", { tls: true });
  const service = await startMain({
    ...liveEnvironment(
      { url: fake.url, apiKey: "fake-8x8-api-key-0123456789", subaccountId: "acme_otp" },
      SECRET,
    ),
    DENO_CERT: TEST_TLS.caFile,
  });
  try {
    assert.equal(await hook(service.url, "tls-1"), "SUCCESSFUL");
    assert.equal(await hook(service.url, "tls-2"), "SUCCESSFUL");
    await fake.clientClosed(1); // the service saw the close while idle and let the connection go
    assert.equal(await hook(service.url, "tls-3"), "SUCCESSFUL");
    assert.deepEqual(fake.requests.map((request) => request.connection), [1, 1, 2]);
  } finally {
    await service.stop();
    await fake.close();
  }
});

Deno.test("[8x8 tls] a certificate the runtime does not trust is refused before anything is sent", async () => {
  const fake = startRawTcp8x8(() => "answer", { tls: true });
  const service = await startMain(
    liveEnvironment(
      { url: fake.url, apiKey: "fake-8x8-api-key-0123456789", subaccountId: "acme_otp" },
      SECRET,
    ),
  );
  try {
    // No DENO_CERT: the test CA is unknown, so no connection is made and no passcode leaves.
    assert.equal(await hook(service.url, "tls-untrusted"), "FAILED");
    assert.equal(fake.requests.length, 0);
  } finally {
    await service.stop();
    await fake.close();
  }
});
