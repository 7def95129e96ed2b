// What reaches 8x8 when the network or 8x8's host misbehaves: one eventId must never become two SMS, and the
// passcode must never go anywhere but the configured 8x8 host.
import assert from "node:assert/strict";
import { MAX_ANSWER_BYTES } from "../../src/eight_by_eight/client.ts";
import { createEightByEightSms } from "../../src/eight_by_eight/sms_sender.ts";
import type { SmsMessage } from "../../src/domain/ports.ts";
import { startRawTcp8x8 } from "../fakes/raw_tcp_8x8.ts";
import { testDeadline } from "../support/fakes.ts";

const MESSAGE: SmsMessage = {
  eventId: "uS5871kJThSsU8qlA1LTcg",
  to: { e164: "+6591234567", countryCallingCode: "65", regionCode: "SG", valid: true, type: "MOBILE" },
  text: "Your code is 424242",
};

function senderFor(baseUrl: string, keepAlive = true) {
  return createEightByEightSms({
    baseUrl,
    subaccountId: "acme_otp",
    apiKey: "fake-8x8-api-key-0123456789",
    keepAlive,
  });
}

Deno.test("[8x8 network] passcodes share kept-alive connections; with keepAlive off each has its own", async (t) => {
  for (const [keepAlive, connections] of [[true, [1, 1, 1]], [false, [1, 2, 3]]] as const) {
    await t.step(`keepAlive ${keepAlive}`, async () => {
      const fake = startRawTcp8x8(() => "answer");
      try {
        const sender = senderFor(fake.url, keepAlive);
        for (const eventId of ["first", "second", "third"]) {
          assert.equal((await sender.send({ ...MESSAGE, eventId }, testDeadline())).outcome, "delivered");
        }
        assert.deepEqual(fake.requests.map((request) => request.connection), connections);
      } finally {
        await fake.close();
      }
    });
  }
});

Deno.test("[8x8 network] a connection closed after 8x8 read the POST is never sent again: one POST per SMS", async (t) => {
  for (const keepAlive of [true, false]) {
    await t.step(`keepAlive ${keepAlive}`, () => closedAfterRead(keepAlive));
  }
});

async function closedAfterRead(keepAlive: boolean) {
  // The first SMS is answered (a client that pools would keep that connection); the second is read, then the
  // connection closes without an answer.
  const fake = startRawTcp8x8((index) => index === 0 ? "answer" : "close");
  try {
    const sender = senderFor(fake.url, keepAlive);
    assert.equal((await sender.send(MESSAGE, testDeadline())).outcome, "delivered");
    const second = await sender.send({ ...MESSAGE, eventId: "second-event" }, testDeadline());
    assert.deepEqual([second.outcome, second.outcome !== "delivered" && second.reason], [
      "unknown",
      "network_error",
    ]);
    assert.equal(
      fake.requests.length,
      2,
      fake.requests.map((request) => `connection ${request.connection}`).join(),
    );
  } finally {
    await fake.close();
  }
}

Deno.test("[8x8 network] a redirect is never followed: nothing goes elsewhere, and the outcome says why", async (t) => {
  const elsewhere: Request[] = [];
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    elsewhere.push(request);
    return Response.json({ umid: "stolen", status: { code: "QUEUED" } });
  });
  const otherUrl = `http://127.0.0.1:${other.addr.port}/api/v1/subaccounts/acme_otp/messages`;
  let status = 307;
  let location = otherUrl;
  let posts = 0;
  const host = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    posts++;
    await request.text();
    return new Response(null, { status, headers: { location } });
  });
  const hostUrl = `http://127.0.0.1:${host.addr.port}`;
  try {
    for (
      const [name, code, to] of [
        ["307 to another origin", 307, otherUrl],
        ["301 (would become a GET)", 301, otherUrl],
        ["308 to itself, a loop", 308, `${hostUrl}/api/v1/subaccounts/acme_otp/messages`],
      ] as const
    ) {
      await t.step(name, async () => {
        [status, location, posts] = [code, to, 0];
        const delivery = await senderFor(hostUrl).send(MESSAGE, testDeadline());
        assert.equal(delivery.outcome, "failed");
        assert.equal(delivery.outcome === "failed" && delivery.reason, "provider_misconfigured");
        assert.deepEqual(delivery.metadata, { httpStatus: String(code), redirect: "not_followed" });
        assert.equal(posts, 1);
        assert.equal(elsewhere.length, 0);
      });
    }
  } finally {
    await host.shutdown();
    await other.shutdown();
  }
});

Deno.test("[8x8 network] an answer larger than any of 8x8's is not read whole: the outcome is unknown", async () => {
  const huge = new Uint8Array(50 * MAX_ANSWER_BYTES).fill(0x20);
  const host = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    await request.text();
    return new Response(huge, { headers: { "content-type": "application/json" } });
  });
  try {
    const delivery = await senderFor(`http://127.0.0.1:${host.addr.port}`).send(MESSAGE, testDeadline());
    assert.equal(delivery.outcome, "unknown");
    assert.equal(delivery.outcome === "unknown" && delivery.reason, "unreadable_response");
    assert.equal(delivery.metadata.error, "answer_too_large");
  } finally {
    await host.shutdown();
  }
});
