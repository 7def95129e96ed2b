// `deno run --v8-flags=--expose-gc heap_measure.ts replays|limiter`: prints the heap bytes one entry takes.
// Entries are what the honest load makes: a new event id with a delivered SMS, a new number or user per request.
import { createMemoryRateLimiter } from "../../src/adapters/outbound/memory/rate_limiter.ts";
import { createMemoryReplayStore } from "../../src/adapters/outbound/memory/replay_store.ts";
import { testDeadline } from "./fakes.ts";

const ENTRIES = 100_000;
const gc = (globalThis as unknown as { gc: () => void }).gc;

const store = Deno.args[0];
const limiter = createMemoryRateLimiter();
const replays = createMemoryReplayStore();
gc();
const before = Deno.memoryUsage().heapUsed;
for (let index = 0; index < ENTRIES; index++) {
  if (store === "limiter") {
    await limiter.take(`per_number:+1415${String(index).padStart(7, "0")}`, { max: 5, windowMs: 900_000 });
  } else {
    const eventId = `uS5871kJThSs${String(index).padStart(10, "0")}`; // Okta's ids are 22 characters
    await replays.claim(eventId, testDeadline());
    await replays.complete(eventId, {
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
gc();
const after = Deno.memoryUsage().heapUsed;
if ((store === "limiter" ? limiter.size() : replays.size()) !== ENTRIES) {
  throw new Error("entries went missing");
}
console.log(Math.round((after - before) / ENTRIES));
