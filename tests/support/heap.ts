// Measures a memory store's footprint in a separate process, where the garbage collector can be forced.
const MEASURE = new URL("./heap_measure.ts", import.meta.url).pathname;

/** What a store made with a 32 MiB budget allocates, and what each of 100,000 entries adds after that. */
export interface Footprint {
  readonly allocated: number;
  readonly perEntry: number;
  readonly budget: number;
}

/** Measures the memory replay store ("replays") or rate limiter ("limiter"). */
export async function footprintOf(store: "replays" | "limiter"): Promise<Footprint> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", MEASURE, store],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}
