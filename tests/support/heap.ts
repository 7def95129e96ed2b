// Measures the heap one store entry takes, in a separate process where the garbage collector can be forced.
const MEASURE = new URL("./heap_measure.ts", import.meta.url).pathname;

/** Bytes of heap per entry of a full memory store ("replays" or "limiter"), after a forced collection. */
export async function heapPerEntry(store: "replays" | "limiter"): Promise<number> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", MEASURE, store],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return Number(new TextDecoder().decode(output.stdout).trim());
}
