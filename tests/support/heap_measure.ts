// `deno run --v8-flags=--expose-gc heap_measure.ts replays|limiter`: prints, as JSON, the bytes a memory store
// allocates when it is made with a 32 MiB budget, and the bytes each of 100,000 entries adds after that (heap
// and array buffers alike). Entries are what the honest load makes: a new event with a delivered SMS, a new
// number per request.
import { createMemoryRateLimiter } from "../../src/stores/memory_rate_limiter.ts";
import { createMemoryReplayStore } from "../../src/stores/memory_replay_store.ts";
import { testDeadline } from "./fakes.ts";

const ENTRIES = 100_000;
const BUDGET = 32 * 1024 * 1024;
const gc = (globalThis as unknown as { gc: () => void }).gc;
const memory = () => {
  gc();
  const { heapUsed, external } = Deno.memoryUsage();
  return heapUsed + external;
};

const store = Deno.args[0];
const empty = memory();
const limiter = store === "limiter" ? createMemoryRateLimiter({ budgetBytes: BUDGET }) : undefined;
const replays = store === "replays" ? createMemoryReplayStore({ budgetBytes: BUDGET }) : undefined;
const made = memory();
for (let index = 0; index < ENTRIES; index++) {
  if (limiter !== undefined) {
    await limiter.take([{
      key: `per_number:+1415${2_000_000 + index}`,
      limit: { max: 5, windowMs: 900_000 },
    }]);
  } else {
    const eventId = `uS5871kJThSs${String(index).padStart(10, "0")}`; // Okta's ids are 22 characters
    await replays!.claim(eventId, testDeadline());
    await replays!.complete(eventId, {
      delivery: {
        outcome: "delivered",
        provider: "8x8",
        transactionId: crypto.randomUUID(),
        metadata: { status: "QUEUED" },
      },
      maskedDestination: `+1******${String(index % 10_000).padStart(4, "0")}`,
      countryCallingCode: "1",
    });
  }
}
const full = memory();
if ((limiter ?? replays)!.size() !== ENTRIES) throw new Error("entries went missing");
console.log(JSON.stringify({ allocated: made - empty, perEntry: (full - made) / ENTRIES, budget: BUDGET }));
