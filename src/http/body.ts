import { readStreamWithin } from "./bounded_read.ts";

/** Returned instead of a body that is over the limit. */
export const TOO_LARGE = Symbol("too large");
/** Returned instead of a body that had not arrived when the request's time ran out. */
export const TIMED_OUT = Symbol("timed out");

/**
 * Reads a request body of at most `limit` bytes, giving up when `signal` aborts: a body that trickles in must not
 * hold the request past its budget. A declared length over the limit is refused unread; an undeclared one is
 * read only until it passes the limit, so a huge body never sits in memory.
 */
export async function readBodyWithin(
  request: Request,
  limit: number,
  signal?: AbortSignal,
): Promise<Uint8Array | typeof TOO_LARGE | typeof TIMED_OUT> {
  const reading = readBody(request, limit);
  if (signal === undefined) return await reading;
  if (signal.aborted) return TIMED_OUT;
  // The unfinished read fails when the connection closes after our answer: nobody waits for it then.
  reading.catch(() => {});
  let stop!: () => void;
  const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
    stop = () => resolve(TIMED_OUT);
    signal.addEventListener("abort", stop, { once: true });
  });
  try {
    return await Promise.race([reading, timedOut]);
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

async function readBody(request: Request, limit: number): Promise<Uint8Array | typeof TOO_LARGE> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (Number(declared) > limit) return TOO_LARGE;
    // The server enforces the declared length, so reading it whole is safe and fastest.
    return new Uint8Array(await request.arrayBuffer());
  }
  return await readStreamWithin(request.body, limit) ?? TOO_LARGE;
}

/** True for `application/json` and `application/*+json`, with or without parameters. */
export function isJsonContentType(contentType: string | null): boolean {
  return contentType !== null && /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType);
}

/** Why a body was refused before it was understood. */
export interface BodyRefusal {
  readonly ok: false;
  readonly status: 400 | 408 | 413 | 415;
  readonly code: "invalid_json" | "payload_too_large" | "unsupported_media_type" | "request_timeout";
  readonly summary: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a JSON body of at most `limit` bytes before `signal` aborts: content type, size, time and syntax each
 * refused with their own status.
 */
export async function readJson(
  request: Request,
  limit: number,
  signal?: AbortSignal,
): Promise<{ ok: true; body: unknown } | BodyRefusal> {
  if (!isJsonContentType(request.headers.get("content-type"))) {
    return { ok: false, status: 415, code: "unsupported_media_type", summary: "Send application/json" };
  }
  const bytes = await readBodyWithin(request, limit, signal);
  if (bytes === TIMED_OUT) {
    return { ok: false, status: 408, code: "request_timeout", summary: "The body did not arrive in time" };
  }
  if (bytes === TOO_LARGE) {
    return {
      ok: false,
      status: 413,
      code: "payload_too_large",
      summary: `The body must be at most ${limit} bytes`,
    };
  }
  try {
    return { ok: true, body: JSON.parse(utf8.decode(bytes)) };
  } catch {
    return { ok: false, status: 400, code: "invalid_json", summary: "The body is not valid JSON" };
  }
}
