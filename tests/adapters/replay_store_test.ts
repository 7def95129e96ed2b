// One contract, checked against every replay store adapter: the in-memory one, Deno KV in memory, and two
// instances sharing one Deno KV file, as several service instances would.
import assert from "node:assert/strict";
import { createKvReplayStore } from "../../src/adapters/outbound/deno_kv/replay_store.ts";
import { createMemoryReplayStore } from "../../src/adapters/outbound/memory/replay_store.ts";
import type { DeliveryAttempt } from "../../src/domain/deliver_otp.ts";
import type { ReplayStore } from "../../src/domain/ports.ts";
import { testDeadline } from "../support/fakes.ts";

const ATTEMPT: DeliveryAttempt = {
  delivery: {
    outcome: "delivered",
    provider: "8x8",
    transactionId: "umid-1",
    metadata: { status: "QUEUED" },
  },
  maskedDestination: "+1******1234",
};

/** Two handles on the same store: for KV, two connections to one database file. */
interface StorePair {
  readonly first: ReplayStore;
  readonly second: ReplayStore;
  close(): Promise<void>;
}

const ADAPTERS: Record<string, () => Promise<StorePair>> = {
  "memory": () => {
    const store = createMemoryReplayStore();
    return Promise.resolve({ first: store, second: store, close: () => Promise.resolve() });
  },
  "deno kv, two connections to one file": async () => {
    const folder = await Deno.makeTempDir({ prefix: "replay-kv-" });
    const [one, two] = [
      await Deno.openKv(`${folder}/replay.sqlite`),
      await Deno.openKv(`${folder}/replay.sqlite`),
    ];
    return {
      first: createKvReplayStore(one),
      second: createKvReplayStore(two),
      async close() {
        one.close();
        two.close();
        await Deno.remove(folder, { recursive: true });
      },
    };
  },
};

for (const [name, open] of Object.entries(ADAPTERS)) {
  Deno.test(`[replay store: ${name}] the first copy claims, later copies get its result`, async () => {
    const { first, second, close } = await open();
    try {
      assert.deepEqual(await first.claim("evt-1", testDeadline()), { kind: "claimed" });
      await first.complete("evt-1", ATTEMPT);
      assert.deepEqual(await second.claim("evt-1", testDeadline()), { kind: "replay", attempt: ATTEMPT });
      assert.deepEqual(await first.claim("evt-1", testDeadline()), { kind: "replay", attempt: ATTEMPT });
      assert.deepEqual(await second.claim("evt-2", testDeadline()), { kind: "claimed" });
    } finally {
      await close();
    }
  });

  Deno.test(`[replay store: ${name}] a concurrent copy waits for the first one's result`, async () => {
    const { first, second, close } = await open();
    try {
      assert.equal((await first.claim("evt-1", testDeadline())).kind, "claimed");
      const waiting = second.claim("evt-1", testDeadline());
      await first.complete("evt-1", ATTEMPT);
      assert.deepEqual(await waiting, { kind: "replay", attempt: ATTEMPT });
    } finally {
      await close();
    }
  });

  Deno.test(`[replay store: ${name}] a copy still waiting when its deadline ends is told the first is in flight`, async () => {
    const { first, second, close } = await open();
    try {
      assert.equal((await first.claim("evt-1", testDeadline())).kind, "claimed");
      const deadline = new AbortController();
      const waiting = second.claim("evt-1", testDeadline(deadline));
      deadline.abort();
      assert.deepEqual(await waiting, { kind: "in_flight" });
      await first.complete("evt-1", ATTEMPT);
    } finally {
      await close();
    }
  });

  Deno.test(`[replay store: ${name}] a released id can be claimed again, also by a copy that was waiting`, async () => {
    const { first, second, close } = await open();
    try {
      assert.equal((await first.claim("evt-1", testDeadline())).kind, "claimed");
      const waiting = second.claim("evt-1", testDeadline());
      await first.release("evt-1");
      assert.deepEqual(await waiting, { kind: "claimed" });
    } finally {
      await close();
    }
  });
}

Deno.test("[replay store: memory] results expire after their time to live", async () => {
  let clock = 0;
  const store = createMemoryReplayStore({ ttlMs: 1_000, now: () => clock });
  await store.claim("evt-1", testDeadline());
  await store.complete("evt-1", ATTEMPT);
  clock = 999;
  assert.equal((await store.claim("evt-1", testDeadline())).kind, "replay");
  clock = 1_000;
  assert.equal((await store.claim("evt-1", testDeadline())).kind, "claimed");
});

Deno.test("[replay store: memory] memory stays bounded: the oldest ids go first", async () => {
  const store = createMemoryReplayStore({ maxEntries: 100 });
  for (let index = 0; index < 1_000; index++) {
    await store.claim(`evt-${index}`, testDeadline());
    await store.complete(`evt-${index}`, ATTEMPT);
  }
  assert.equal(store.size(), 100);
  assert.equal((await store.claim("evt-999", testDeadline())).kind, "replay");
  assert.equal((await store.claim("evt-0", testDeadline())).kind, "claimed");
});
