// An HTTP/1.1 client for one origin that keeps its connections open and never sends a request twice.
//
// Why not `fetch`: when a reused keep-alive connection closes after the server has read a request, the runtime's
// client sends the request again by itself, below any retry rules of ours. For a passcode that is a second SMS,
// so `fetch` is only safe with a fresh connection per request, and a fresh connection (a TLS handshake to 8x8)
// costs more than everything else the service does for a hook. This client keeps connections but leaves every
// decision to send again to its caller: it says whether any byte of the request left the process.
//
// A connection that waits in the pool keeps a read pending, so a server that closes it (or writes to it
// unasked) takes it out of the pool at once, before a request could be written to a dead connection.
import { joinChunks } from "./bounded_read.ts";

/** The parts of an answer a caller reads. Header names are looked up in lower case. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** The body, or undefined when it was larger than the client's limit (the connection is then closed). */
  readonly body: Uint8Array | undefined;
}

/** One POST: the caller's headers (lower-case names), the body and what aborts it. */
export interface HttpPost {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly signal: AbortSignal;
}

/**
 * Thrown when nothing of the request left this process: the connection could not be made, or a pooled
 * connection turned out closed before the first byte was written. Sending again cannot double anything.
 */
export class NotSentError extends Error {
  constructor(readonly stage: "connect" | "write", options: { cause: unknown }) {
    super(
      stage === "connect" ? "could not connect" : "the connection closed before the request was sent",
      options,
    );
    this.name = "NotSentError";
  }
}

/** Thrown when the server's answer is not HTTP/1.1 this client can read. The request may have been taken. */
export class MalformedAnswerError extends Error {
  override name = "MalformedAnswerError";
}

/** Thrown when the connection ended before a whole answer came. The request may have been taken. */
export class ConnectionClosedError extends Error {
  override name = "ConnectionClosedError";
}

export interface PooledClientOptions {
  /** The most bytes of body read; a larger answer is left unread and its connection closed. */
  readonly maxBodyBytes: number;
  /** Connections kept open between requests. Default 64. */
  readonly maxIdle?: number;
  /** A connection idle longer than this is closed rather than reused. Default 4 s (see below). */
  readonly idleTimeoutMs?: number;
  /** A connection older than this is closed after its request, so a DNS change is followed. Default 60 s. */
  readonly maxAgeMs?: number;
  /** Opens a connection; the default is TCP, or TLS for an `https:` URL. */
  readonly connect?: (url: URL) => Promise<Deno.Conn>;
  readonly now?: () => number;
}

/** Posts to one URL over kept-alive connections. */
export interface PooledClient {
  post(request: HttpPost): Promise<HttpAnswer>;
  /** Closes every idle connection; requests in flight finish on theirs. */
  close(): void;
  /** Connections open now, idle or busy (for tests and metrics). */
  readonly openConnections: number;
}

// The longest head (status line and headers) accepted; 8x8's are a few hundred bytes.
const MAX_HEAD_BYTES = 16 * 1024;
// Servers close idle connections after their own timeout (commonly 5 s or more). Reusing a connection near that
// moment risks writing into one being closed, so connections are retired well before it.
const DEFAULT_IDLE_TIMEOUT_MS = 4_000;
// Under steady traffic a connection never idles out; retiring it by age makes a new DNS lookup, so a moved or
// failed-over 8x8 address is followed within a minute.
const DEFAULT_MAX_AGE_MS = 60_000;
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

interface Connection {
  readonly conn: Deno.Conn;
  // The pool reads into it; an answer's bytes are copied out before the next read.
  readonly buffer: Uint8Array;
  readonly openedAt: number;
  idle: boolean;
  closed: boolean;
  idleUntil: number;
  // While idle: the read that notices the server closing. Taken over by the next request's answer.
  pending: Promise<number | null> | undefined;
}

/** Creates a client for `url`, which must be `http:` or `https:`; the path and query of every POST. */
export function createPooledClient(url: string, options: PooledClientOptions): PooledClient {
  const target = new URL(url);
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    throw new TypeError(`only http: and https: URLs are supported, not ${target.protocol}`);
  }
  const connect = options.connect ?? openConnection;
  const maxIdle = options.maxIdle ?? 64;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const now = options.now ?? Date.now;
  const requestLine = `POST ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\n`;
  const idle: Connection[] = [];
  let open = 0;

  function discard(connection: Connection): void {
    if (connection.closed) return;
    connection.closed = true;
    open--;
    const index = idle.indexOf(connection);
    if (index >= 0) idle.splice(index, 1);
    try {
      connection.conn.close();
    } catch {
      // already closed by the runtime
    }
  }

  function park(connection: Connection, keepAliveMs: number): void {
    if (idle.length >= maxIdle || now() - connection.openedAt >= maxAgeMs) return discard(connection);
    connection.idle = true;
    connection.idleUntil = now() + Math.min(idleTimeoutMs, keepAliveMs);
    // An idle connection must not keep the process alive.
    connection.conn.unref();
    const pending = connection.conn.read(connection.buffer);
    connection.pending = pending;
    // Anything that completes this read while idle (the server closing, or writing unasked) retires it.
    const retire = () => {
      if (connection.idle) discard(connection);
    };
    pending.then(retire, retire);
    idle.push(connection);
  }

  async function take(signal: AbortSignal): Promise<Connection> {
    // The most recently used first: it is the least likely to be closing, and the others age out.
    for (let connection = idle.pop(); connection !== undefined; connection = idle.pop()) {
      if (connection.idleUntil <= now()) {
        discard(connection);
        continue;
      }
      connection.idle = false;
      connection.conn.ref();
      return connection;
    }
    let conn: Deno.Conn;
    try {
      conn = await connectWithin(connect(target), signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new NotSentError("connect", { cause: error });
    }
    open++;
    return {
      conn,
      buffer: new Uint8Array(16 * 1024),
      openedAt: now(),
      idle: false,
      closed: false,
      idleUntil: 0,
      pending: undefined,
    };
  }

  async function post(request: HttpPost): Promise<HttpAnswer> {
    const { signal } = request;
    signal.throwIfAborted();
    const bytes = encodeRequest(requestLine, request);
    const connection = await take(signal);
    // Aborting closes the connection, which ends whichever read or write is waiting on it.
    const abort = () => discard(connection);
    signal.addEventListener("abort", abort, { once: true });
    try {
      await write(connection, bytes);
      const answer = await readAnswer(connection, options.maxBodyBytes);
      if (answer.keepAliveMs > 0 && !connection.closed) park(connection, answer.keepAliveMs);
      else discard(connection);
      return answer;
    } catch (error) {
      discard(connection);
      if (signal.aborted) throw signal.reason;
      throw error;
    } finally {
      signal.removeEventListener("abort", abort);
    }
  }

  return {
    post,
    close() {
      for (const connection of [...idle]) discard(connection);
    },
    get openConnections() {
      return open;
    },
  };
}

// A connect that ends at the deadline: a host that never answers the SYN must not hold the request past its
// budget (the runtime's connect has no signal). A connection made after the deadline is closed unused.
function connectWithin(connecting: Promise<Deno.Conn>, signal: AbortSignal): Promise<Deno.Conn> {
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    connecting.then((conn) => {
      signal.removeEventListener("abort", abort);
      if (!signal.aborted) return resolve(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }, (error) => {
      signal.removeEventListener("abort", abort);
      reject(error);
    });
  });
}

function openConnection(url: URL): Promise<Deno.Conn> {
  const hostname = url.hostname.replace(/^\[|\]$/g, ""); // an IPv6 literal without its brackets
  if (url.protocol === "https:") {
    return Deno.connectTls({ hostname, port: Number(url.port) || 443 });
  }
  return Deno.connect({ hostname, port: Number(url.port) || 80 });
}

function encodeRequest(requestLine: string, request: HttpPost): Uint8Array {
  const body = encoder.encode(request.body);
  let head = requestLine;
  for (const name in request.headers) {
    const value = request.headers[name]!;
    // A line break would let a value write headers of its own: a bug, refused before anything is sent.
    if (/[\r\n\0]/.test(name) || /[\r\n\0]/.test(value)) {
      throw new TypeError(`header ${name} holds a line break`);
    }
    head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${body.byteLength}\r\n\r\n`;
  const bytes = new Uint8Array(head.length * 3 + body.byteLength);
  const { written } = encoder.encodeInto(head, bytes);
  bytes.set(body, written);
  return bytes.subarray(0, written + body.byteLength);
}

async function write(connection: Connection, bytes: Uint8Array): Promise<void> {
  let sent = 0;
  while (sent < bytes.byteLength) {
    try {
      sent += await connection.conn.write(bytes.subarray(sent));
    } catch (error) {
      // Nothing written is nothing sent; once part of it has gone, the server may act on what it read.
      if (sent === 0) throw new NotSentError("write", { cause: error });
      throw error;
    }
  }
}

interface ReadAnswer extends HttpAnswer {
  /** How long the connection may stay open for the next request; 0 when it must close. */
  readonly keepAliveMs: number;
}

// Reads one answer: the head, then a body framed by content-length, chunks, or the end of the connection.
async function readAnswer(connection: Connection, maxBodyBytes: number): Promise<ReadAnswer> {
  const reader = new AnswerReader(connection);
  for (;;) {
    const headEnd = await reader.readUntilHeadEnd();
    const head = parseHead(latin1.decode(reader.take(headEnd + 4)).slice(0, headEnd));
    // 1xx answers are interim: the real one follows on the same connection.
    if (head.status >= 100 && head.status < 200) continue;
    const length = head.headers.get("content-length");
    const chunked = /\bchunked\b/i.test(head.headers.get("transfer-encoding") ?? "");
    let body: Uint8Array | undefined;
    let reusable = head.keepAlive;
    if (head.status === 204 || head.status === 304) {
      body = new Uint8Array(0);
    } else if (chunked) {
      body = await reader.readChunked(maxBodyBytes);
    } else if (length !== null) {
      const size = Number(length);
      if (!/^\d+$/.test(length.trim()) || !Number.isSafeInteger(size)) {
        throw new MalformedAnswerError("content-length is not a number");
      }
      body = size > maxBodyBytes ? undefined : await reader.readExactly(size);
    } else {
      body = await reader.readToEnd(maxBodyBytes);
      reusable = false;
    }
    if (body === undefined || reader.buffered > 0) reusable = false;
    return { status: head.status, headers: head.headers, body, keepAliveMs: reusable ? head.keepAliveMs : 0 };
  }
}

interface Head {
  readonly status: number;
  readonly headers: HeaderList;
  readonly keepAlive: boolean;
  readonly keepAliveMs: number;
}

class HeaderList {
  readonly #values: Record<string, string> = Object.create(null);
  add(name: string, value: string): void {
    const key = name.toLowerCase();
    this.#values[key] = key in this.#values ? `${this.#values[key]}, ${value}` : value;
  }
  get(name: string): string | null {
    return this.#values[name.toLowerCase()] ?? null;
  }
}

function parseHead(text: string): Head {
  const [first = "", ...lines] = text.split("\r\n");
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(first);
  if (statusLine === null) throw new MalformedAnswerError("not an HTTP/1.x status line");
  const headers = new HeaderList();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new MalformedAnswerError("a header line without a name");
    headers.add(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const connection = (headers.get("connection") ?? "").toLowerCase();
  const keepAlive = statusLine[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
  // `Keep-Alive: timeout=5` says when the server will close; leave a second's margin before it.
  const timeout = /\btimeout=(\d+)/i.exec(headers.get("keep-alive") ?? "")?.[1];
  const keepAliveMs = timeout === undefined ? Infinity : Math.max(0, Number(timeout) * 1000 - 1000);
  return { status: Number(statusLine[2]), headers, keepAlive, keepAliveMs };
}

// Bytes read from a connection and not yet consumed. The first read may be the one the idle pool started.
class AnswerReader {
  #bytes = new Uint8Array(0);
  #start = 0;
  #end = 0;
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  get buffered(): number {
    return this.#end - this.#start;
  }

  // Reads once more; false at the end of the connection.
  async #fill(): Promise<boolean> {
    const connection = this.#connection;
    const pending = connection.pending ?? connection.conn.read(connection.buffer);
    connection.pending = undefined;
    const read = await pending;
    if (read === null) return false;
    const need = this.#end - this.#start + read;
    if (this.#bytes.byteLength - this.#end < read) {
      const grown = new Uint8Array(Math.max(need, this.#bytes.byteLength * 2, 1024));
      grown.set(this.#bytes.subarray(this.#start, this.#end));
      this.#bytes = grown;
      this.#end -= this.#start;
      this.#start = 0;
    }
    this.#bytes.set(connection.buffer.subarray(0, read), this.#end);
    this.#end += read;
    return true;
  }

  async #need(size: number): Promise<void> {
    while (this.#end - this.#start < size) {
      if (!(await this.#fill())) {
        throw new ConnectionClosedError("the connection closed in the middle of an answer");
      }
    }
  }

  take(size: number): Uint8Array {
    const bytes = this.#bytes.slice(this.#start, this.#start + size);
    this.#start += size;
    return bytes;
  }

  /** The offset of the blank line that ends the head. */
  async readUntilHeadEnd(): Promise<number> {
    let from = 0;
    for (;;) {
      const bytes = this.#bytes;
      for (let i = this.#start + from; i + 3 < this.#end; i++) {
        if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
          return i - this.#start;
        }
      }
      from = Math.max(0, this.#end - this.#start - 3);
      if (from > MAX_HEAD_BYTES) throw new MalformedAnswerError("the answer's head is too long");
      if (!(await this.#fill())) {
        throw new ConnectionClosedError(
          this.#end === this.#start && from === 0
            ? "the connection closed without an answer"
            : "the connection closed in the middle of an answer",
        );
      }
    }
  }

  async readExactly(size: number): Promise<Uint8Array> {
    await this.#need(size);
    return this.take(size);
  }

  async readToEnd(limit: number): Promise<Uint8Array | undefined> {
    while (await this.#fill()) {
      if (this.buffered > limit) return undefined;
    }
    return this.take(this.buffered);
  }

  async readChunked(limit: number): Promise<Uint8Array | undefined> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const line = await this.#readLine();
      const size = parseInt(line.split(";", 1)[0]!.trim(), 16);
      if (!Number.isSafeInteger(size) || size < 0) {
        throw new MalformedAnswerError("a chunk size is not a number");
      }
      if (size === 0) break;
      total += size;
      if (total > limit) return undefined;
      chunks.push(await this.readExactly(size));
      if ((await this.#readLine()) !== "") throw new MalformedAnswerError("a chunk does not end its line");
    }
    // Trailers, up to the blank line that ends them.
    while ((await this.#readLine()) !== "");
    return joinChunks(chunks, total);
  }

  async #readLine(): Promise<string> {
    for (;;) {
      for (let i = this.#start; i + 1 < this.#end; i++) {
        if (this.#bytes[i] === 13 && this.#bytes[i + 1] === 10) {
          const line = latin1.decode(this.#bytes.subarray(this.#start, i));
          this.#start = i + 2;
          return line;
        }
      }
      if (this.buffered > MAX_HEAD_BYTES) throw new MalformedAnswerError("a chunk line is too long");
      await this.#need(this.buffered + 1);
    }
  }
}
