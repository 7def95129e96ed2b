// An 8x8 that misbehaves below HTTP: a raw TCP server that reads whole requests and, by script, answers with
// 8x8's documented success, or closes the connection without a word after reading the request, or writes
// exactly the bytes a test gives it.
const SMS_API = JSON.parse(
  Deno.readTextFileSync(new URL("../contracts/8x8/sms_api.json", import.meta.url)),
);
const SUCCESS = SMS_API.paths["/api/v1/subaccounts/{subAccountId}/messages"].post.responses["200"]
  .content["application/json"].examples.response.value;

/**
 * What the fake does with one whole request it has read: answer with 8x8's success (content-length framed),
 * close without a word, or write `raw` (`{umid}` in it becomes a fresh id), then close when `thenClose`.
 */
export type RawAction =
  | "answer"
  | "close"
  /** Answers with 8x8's success, then closes its side while still reading: as a server at its idle timeout. */
  | "answer_then_half_close"
  | { readonly raw: string; readonly thenClose?: boolean };

/** 8x8's documented success body, with a fresh umid. */
export function successBody(): string {
  return JSON.stringify({ ...SUCCESS, umid: crypto.randomUUID() });
}

/** A running raw-TCP fake. */
export interface RawTcp8x8 {
  readonly url: string;
  /** Every whole request it read, in order, with the connection it came on. */
  readonly requests: readonly { readonly connection: number; readonly head: string }[];
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Resolves when the client has closed connection `n` (1-based), having seen the end of it. */
  clientClosed(connection: number): Promise<void>;
  close(): Promise<void>;
}

/** The test-only certificate for `localhost`/`127.0.0.1`, signed by `tls/ca.pem` (see tls/README.md). */
export const TEST_TLS = {
  caFile: new URL("tls/ca.pem", import.meta.url).pathname,
  cert: Deno.readTextFileSync(new URL("tls/server.pem", import.meta.url)),
  key: Deno.readTextFileSync(new URL("tls/server.key", import.meta.url)),
};

/**
 * Starts the fake on loopback; `script` says what to do with the n-th request (0-based). With `tls`, it speaks
 * HTTPS with the test certificate, at `https://localhost:<port>`.
 */
export function startRawTcp8x8(
  script: (index: number) => RawAction,
  options: { tls?: boolean } = {},
): RawTcp8x8 {
  const listener = options.tls
    ? Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: TEST_TLS.cert, key: TEST_TLS.key })
    : Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: { connection: number; head: string }[] = [];
  const connections = new Set<Deno.Conn>();
  const closedByClient = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  const closing = (n: number) => {
    if (!closedByClient.has(n)) closedByClient.set(n, Promise.withResolvers<void>());
    return closedByClient.get(n)!;
  };
  let connection = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      connections.add(conn);
      serve(conn, ++connection).finally(() => connections.delete(conn));
    }
  })();

  async function serve(conn: Deno.Conn, connection: number): Promise<void> {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(64 * 1024);
    let text = "";
    try {
      for (;;) {
        const read = await conn.read(buffer);
        if (read === null) {
          closing(connection).resolve();
          return;
        }
        text += decoder.decode(buffer.subarray(0, read));
        const headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) continue;
        const length = Number(/^content-length:\s*(\d+)/im.exec(text.slice(0, headEnd))?.[1] ?? 0);
        if (text.length < headEnd + 4 + length) continue;
        const index = requests.push({ connection, head: text.slice(0, headEnd) }) - 1;
        text = text.slice(headEnd + 4 + length);
        const action = script(index);
        if (action === "close") {
          conn.close();
          return;
        }
        if (action !== "answer" && action !== "answer_then_half_close") {
          await conn.write(new TextEncoder().encode(action.raw.replace("{umid}", crypto.randomUUID())));
          if (action.thenClose) {
            conn.close();
            return;
          }
          continue;
        }
        const body = successBody();
        const head =
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
        await conn.write(new TextEncoder().encode(head + body));
        if (action === "answer_then_half_close") await conn.closeWrite();
      }
    } catch {
      // The client went away: nothing to answer.
      closing(connection).resolve();
    }
  }

  return {
    url: options.tls
      ? `https://localhost:${(listener.addr as Deno.NetAddr).port}`
      : `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    requests,
    connections: () => connection,
    clientClosed: (n) => closing(n).promise,
    async close() {
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await serving.catch(() => {});
    },
  };
}
