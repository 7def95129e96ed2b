/** Returned instead of a body that is over the limit. */
export const TOO_LARGE = Symbol("too large");

/**
 * Reads a request body of at most `limit` bytes. A declared length over the limit is refused unread;
 * an undeclared one is read only until it passes the limit, so a huge body never sits in memory.
 */
export async function readBodyWithin(
  request: Request,
  limit: number,
): Promise<Uint8Array | typeof TOO_LARGE> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (Number(declared) > limit) return TOO_LARGE;
    // The server enforces the declared length, so reading it whole is safe and fastest.
    return new Uint8Array(await request.arrayBuffer());
  }
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > limit) return TOO_LARGE; // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** True for `application/json` and `application/*+json`, with or without parameters. */
export function isJsonContentType(contentType: string | null): boolean {
  return contentType !== null && /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType);
}
