// The kept-alive client toward 8x8, against a raw TCP server that frames its answers in every way HTTP/1.1
// allows and closes connections when a real server would: connections are reused, a closed one is never
// written to, and nothing is ever sent twice.
import assert from "node:assert/strict";
import {
  ConnectionClosedError,
  createPooledClient,
  MalformedAnswerError,
  NotSentError,
  type PooledClient,
} from "../../src/http/pooled_client.ts";
import { type RawAction, startRawTcp8x8, successBody } from "../fakes/raw_tcp_8x8.ts";

const PATH = "/api/v1/subaccounts/acme_otp/messages";
const HEADERS = { "content-type": "application/json", "authorization": "Bearer fake-8x8-api-key-0123456789" };

function post(
  client: PooledClient,
  body = '{"destination":"+6591234567"}',
  signal = new AbortController().signal,
) {
  return client.post({ headers: HEADERS, body, signal });
}

function text(answer: { body: Uint8Array | undefined }): string {
  assert.ok(answer.body, "the body was read");
  return new TextDecoder().decode(answer.body);
}

function answer(head: string, body: string): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${head}\r\n${body}`;
}

async function withFake(
  script: (index: number) => RawAction,
  test: (client: PooledClient, fake: ReturnType<typeof startRawTcp8x8>) => Promise<void>,
  options: { idleTimeoutMs?: number; maxAgeMs?: number; now?: () => number; maxBodyBytes?: number } = {},
) {
  const fake = startRawTcp8x8(script);
  const client = createPooledClient(`${fake.url}${PATH}`, { maxBodyBytes: 64 * 1024, ...options });
  try {
    await test(client, fake);
  } finally {
    client.close();
    await fake.close();
  }
}

Deno.test("[pooled client] one connection carries request after request, each written once and whole", () =>
  withFake(() => "answer", async (client, fake) => {
    for (let i = 0; i < 5; i++) {
      const answered = await post(client, `{"n":${i}}`);
      assert.equal(answered.status, 200);
      assert.equal(answered.headers.get("Content-Type"), "application/json");
      assert.equal(JSON.parse(text(answered)).status.code, "QUEUED");
    }
    assert.equal(fake.connections(), 1);
    assert.deepEqual(fake.requests.map((request) => request.connection), [1, 1, 1, 1, 1]);
    const head = fake.requests[0]!.head;
    assert.match(head, new RegExp(`^POST ${PATH} HTTP/1\\.1\r\n`));
    assert.match(head, /\r\nhost: 127\.0\.0\.1:\d+\r\n/);
    assert.match(head, /\r\ncontent-length: 7$/); // `{"n":0}`
  }));

Deno.test("[pooled client] a connection the server closed while idle is noticed and never written to", () =>
  withFake(
    // Answers as if to keep the connection, then closes it: as servers do at their idle timeout.
    (index) => index === 0 ? "answer_then_half_close" : "answer",
    async (client, fake) => {
      assert.equal((await post(client)).status, 200);
      await fake.clientClosed(1); // the client saw the end while the connection was idle, and let it go
      assert.equal(client.openConnections, 0);
      assert.equal((await post(client)).status, 200);
      assert.deepEqual(fake.requests.map((request) => request.connection), [1, 2]);
    },
  ));

Deno.test("[pooled client] Connection: close, HTTP/1.0 and a body framed by the connection's end are not reused", async (t) => {
  const body = successBody();
  const cases: Record<string, string> = {
    "Connection: close": answer(`content-length: ${body.length}\r\nconnection: close\r\n`, body),
    "HTTP/1.0": `HTTP/1.0 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    "no length": answer("", body),
  };
  for (const [name, raw] of Object.entries(cases)) {
    await t.step(
      name,
      () =>
        withFake((index) => index === 0 ? { raw, thenClose: true } : "answer", async (client, fake) => {
          assert.deepEqual(JSON.parse(text(await post(client))), JSON.parse(body));
          assert.equal(client.openConnections, 0);
          assert.equal((await post(client)).status, 200);
          assert.deepEqual(fake.requests.map((request) => request.connection), [1, 2]);
        }),
    );
  }
});

Deno.test("[pooled client] chunked answers are joined, and the connection is reused after them", () => {
  const body = successBody();
  const chunked = `${(10).toString(16)};ext=1\r\n${body.slice(0, 10)}\r\n` +
    `${(body.length - 10).toString(16)}\r\n${body.slice(10)}\r\n0\r\nx-trailer: 1\r\n\r\n`;
  return withFake(
    () => ({ raw: answer("transfer-encoding: chunked\r\n", chunked) }),
    async (client, fake) => {
      assert.deepEqual(JSON.parse(text(await post(client))), JSON.parse(body));
      assert.deepEqual(JSON.parse(text(await post(client))), JSON.parse(body));
      assert.deepEqual(fake.requests.map((request) => request.connection), [1, 1]);
    },
  );
});

Deno.test("[pooled client] a 100 Continue before the answer is skipped", () => {
  const body = successBody();
  return withFake(
    () => ({ raw: `HTTP/1.1 100 Continue\r\n\r\n${answer(`content-length: ${body.length}\r\n`, body)}` }),
    async (client) => {
      const answered = await post(client);
      assert.equal(answered.status, 200);
      assert.deepEqual(JSON.parse(text(answered)), JSON.parse(body));
    },
  );
});

Deno.test("[pooled client] Keep-Alive's timeout and our idle limit retire a connection before the server would", async (t) => {
  let clock = 0;
  const now = () => clock;
  await t.step("Keep-Alive: timeout=2 leaves one second of margin", () =>
    withFake(
      () => ({ raw: answer("content-length: 2\r\nkeep-alive: timeout=2\r\n", "{}") }),
      async (client, fake) => {
        await post(client);
        clock += 900;
        await post(client); // 0.9 s idle: reused
        clock += 1_000;
        await post(client); // 1 s idle: retired
        assert.deepEqual(fake.requests.map((request) => request.connection), [1, 1, 2]);
      },
      { now },
    ));
  await t.step(
    "maxAgeMs: a busy connection is still retired by age, so DNS is looked up again",
    () =>
      withFake(() => "answer", async (client, fake) => {
        await post(client);
        clock += 30_000;
        await post(client); // 30 s old: reused
        clock += 30_000;
        await post(client); // 60 s old: this was its last request
        await post(client);
        assert.deepEqual(fake.requests.map((request) => request.connection), [1, 1, 1, 2]);
      }, { now, maxAgeMs: 60_000, idleTimeoutMs: 3_600_000 }),
  );
  await t.step("idleTimeoutMs", () =>
    withFake(() => "answer", async (client, fake) => {
      await post(client);
      clock += 4_000;
      await post(client);
      assert.deepEqual(fake.requests.map((request) => request.connection), [1, 2]);
      assert.equal(client.openConnections, 1, "the retired connection was closed");
    }, { now, idleTimeoutMs: 4_000 }));
});

Deno.test("[pooled client] a connection closed after the request was read is reported, never resent", () =>
  withFake((index) => index === 0 ? "answer" : "close", async (client, fake) => {
    await post(client);
    await assert.rejects(post(client), ConnectionClosedError);
    assert.equal(fake.requests.length, 2);
    assert.equal(client.openConnections, 0);
  }));

Deno.test("[pooled client] an answer cut off in its body is reported as closed, not read short", () =>
  withFake(
    () => ({ raw: answer("content-length: 500\r\n", '{"umid":"{umid}"'), thenClose: true }),
    async (client) => {
      await assert.rejects(post(client), ConnectionClosedError);
    },
  ));

Deno.test("[pooled client] what is not HTTP/1.1 is refused as malformed", async (t) => {
  const cases: Record<string, string> = {
    "HTTP/2 preface": "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "header without a name": "HTTP/1.1 200 OK\r\n: x\r\ncontent-length: 0\r\n\r\n",
    "content-length not a number": "HTTP/1.1 200 OK\r\ncontent-length: 1e3\r\n\r\n",
    "chunk size not a number": "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    "endless head": `HTTP/1.1 200 OK\r\n${"x-filler: aaaaaaaaaaaaaaaa\r\n".repeat(1_000)}`,
  };
  for (const [name, raw] of Object.entries(cases)) {
    await t.step(name, () =>
      withFake(() => ({ raw, thenClose: true }), async (client) => {
        await assert.rejects(post(client), MalformedAnswerError);
        assert.equal(client.openConnections, 0);
      }));
  }
});

Deno.test("[pooled client] a body over the limit is not read, and its connection is closed", () =>
  withFake(() => "answer", async (client) => {
    const answered = await post(client);
    assert.equal(answered.body, undefined);
    assert.equal(answered.status, 200);
    assert.equal(client.openConnections, 0);
  }, { maxBodyBytes: 16 }));

Deno.test("[pooled client] nothing listening: NotSentError, safe to send again", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const client = createPooledClient(`http://127.0.0.1:${port}${PATH}`, { maxBodyBytes: 1024 });
  const error = await post(client).catch((error) => error);
  assert.ok(error instanceof NotSentError);
  assert.equal(error.stage, "connect");
});

Deno.test("[pooled client] an abort closes the connection and rejects with the signal's reason", async () => {
  const arrived = Promise.withResolvers<void>();
  await withFake(() => (arrived.resolve(), { raw: "" }), async (client, fake) => {
    const controller = new AbortController();
    const pending = post(client, "{}", controller.signal);
    await arrived.promise;
    controller.abort(new DOMException("deadline", "TimeoutError"));
    await assert.rejects(pending, { name: "TimeoutError" });
    assert.equal(client.openConnections, 0);
    await fake.clientClosed(1);
  });
});

Deno.test("[pooled client] a header value with a line break is refused before anything is sent", () =>
  withFake(() => "answer", async (client, fake) => {
    const headers = { "authorization": "Bearer key\r\nx-injected: 1" };
    await assert.rejects(
      client.post({ headers, body: "{}", signal: new AbortController().signal }),
      TypeError,
    );
    assert.equal(fake.connections(), 0, "not even a connection");
  }));

Deno.test("[pooled client] a host that never completes the connect is given up at the deadline; a late connection is closed", async () => {
  // The network primitive stands in for a host whose SYNs are dropped: its connect settles only when told.
  const connecting = Promise.withResolvers<Deno.Conn>();
  const client = createPooledClient("https://8x8.invalid/api", {
    maxBodyBytes: 1024,
    connect: () => connecting.promise,
  });
  const controller = new AbortController();
  const pending = post(client, "{}", controller.signal);
  controller.abort(new DOMException("deadline", "TimeoutError"));
  await assert.rejects(pending, { name: "TimeoutError" });
  // The connection arrives after the deadline: it is closed, and never counted or used.
  let closed = false;
  connecting.resolve({ close: () => (closed = true) } as unknown as Deno.Conn);
  await connecting.promise;
  assert.equal(closed, true);
  assert.equal(client.openConnections, 0);
});

Deno.test("[pooled client] only http: and https: URLs", () => {
  assert.throws(() => createPooledClient("ftp://127.0.0.1/x", { maxBodyBytes: 1 }), TypeError);
});
