/**
 * Reads a byte stream to its end, or gives up as soon as it passes `limit` bytes (leaving the loop cancels the
 * stream), so an oversized body never sits in memory. Shared by what reads Okta's requests and 8x8's answers.
 */
export async function readStreamWithin(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array | undefined> {
  if (stream === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return joinChunks(chunks, size);
}

/** The chunks, `size` bytes in all, as one array. */
export function joinChunks(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
