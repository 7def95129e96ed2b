import assert from "node:assert/strict";
import { createHeaderSecretAuth } from "../../src/okta/header_secret.ts";
import { createTelephonyHookHandler } from "../../src/okta/telephony_hook.ts";
import { createMemoryReplayStore } from "../../src/stores/memory_replay_store.ts";
import { capturedLogger, recordingSmsSender } from "../support/fakes.ts";
import { PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { deliverOtp } from "../../src/domain/deliver_otp.ts";
import { NO_ABUSE_RULES } from "../../src/domain/abuse_rules.ts";

const CURRENT = "current-secret-0123456789";
const PREVIOUS = "previous-secret-9876543210";

Deno.test("[header auth] accepts the current and the previous secret in the configured header only", async (t) => {
  const auth = createHeaderSecretAuth({ headerName: "x-okta-hook-auth", secrets: [CURRENT, PREVIOUS] });
  const cases: [string, HeadersInit, boolean][] = [
    ["current secret", { "x-okta-hook-auth": CURRENT }, true],
    ["previous secret", { "x-okta-hook-auth": PREVIOUS }, true],
    ["header name in another case", { "X-Okta-Hook-Auth": CURRENT }, true],
    ["wrong secret of the same length", { "x-okta-hook-auth": CURRENT.replace("0", "1") }, false],
    ["longer secret", { "x-okta-hook-auth": `${CURRENT}x` }, false],
    ["secret in the authorization header instead", { authorization: CURRENT }, false],
    ["no header", {}, false],
  ];
  for (const [name, headers, accepted] of cases) {
    await t.step(name, async () => assert.equal((await auth.verify(new Headers(headers))).ok, accepted));
  }
});

Deno.test("[header auth] refuses to start without a secret", () => {
  assert.throws(() => createHeaderSecretAuth({ headerName: "authorization", secrets: [] }));
});

Deno.test("[hook] an unauthenticated request is answered before its body is read", async () => {
  const sms = recordingSmsSender({ outcome: "delivered", provider: "x", transactionId: "x", metadata: {} });
  const handler = createTelephonyHookHandler({
    authenticator: createHeaderSecretAuth({ headerName: "authorization", secrets: [CURRENT] }),
    deliver: (request, deadline) =>
      deliverOtp(request, NO_ABUSE_RULES, {
        phoneNumbers: { parse: () => undefined },
        now: Date.now,
        sms,
        replays: createMemoryReplayStore(),
      }, deadline),
    logger: capturedLogger(),
  });
  let pulls = 0;
  // highWaterMark 0: the stream is pulled only when someone reads the body.
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(new TextEncoder().encode(PREVIEW_SAMPLE_TEXT));
      controller.close();
    },
  }, { highWaterMark: 0 });
  const request = new Request("http://hook.test/telephony-hook", {
    method: "POST",
    headers: { authorization: "wrong", "content-type": "application/json" },
    body,
  });
  const response = await handler(request, { scheme: "http", facts: {} });
  assert.equal(response.status, 401);
  assert.equal(pulls, 0);
  assert.equal(sms.sent.length, 0);
  await response.body?.cancel();
  await body.cancel();
});
