// One contract, checked against every replay store adapter: the in-memory one, Deno KV in memory, and two
// instances sharing one Deno KV file, as several service instances would.
import assert from "node:assert/strict";
import { createKvReplayStore } from "../../src/stores/kv_replay_store.ts";
import { createKvRateLimiter } from "../../src/stores/kv_rate_limiter.ts";
import { BYTES_PER_REPLAY_ENTRY, createMemoryReplayStore } from "../../src/stores/memory_replay_store.ts";
import type { DeliveryAttempt } from "../../src/domain/delivery.ts";
import type { ReplayStore } from "../../src/domain/ports.ts";
import { testDeadline } from "../support/fakes.ts";
import { footprintOf } from "../support/heap.ts";
import { countingCommits } from "../support/kv_commits.ts";

const OWNER = new URL("../support/kv_replay_owner.ts", import.meta.url).pathname;

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

Deno.test("[replay store: memory] a replay gives back every kind of result as the first copy had it", async () => {
  const store = createMemoryReplayStore();
  const results: DeliveryAttempt[] = [
    { ...ATTEMPT, countryCallingCode: "1" },
    {
      delivery: { outcome: "failed", reason: "rate_limited", metadata: { rule: "per_number" } },
      maskedDestination: "+65****4567",
      countryCallingCode: "65",
    },
    {
      delivery: { outcome: "unknown", reason: "timeout", provider: "8x8", metadata: {} },
      maskedDestination: "(unparsable)",
    },
  ];
  for (const [index, result] of results.entries()) {
    await store.claim(`evt-${index}`, testDeadline());
    await store.complete(`evt-${index}`, result);
    assert.deepEqual(await store.claim(`evt-${index}`, testDeadline()), { kind: "replay", attempt: result });
  }
});

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

Deno.test("[replay store: memory] ids are kept by time: a repeat 60 s and 300,000 ids later is still a replay", async () => {
  let clock = 0;
  let early = 0;
  const store = createMemoryReplayStore({
    now: () => clock,
    budgetBytes: 310_000 * BYTES_PER_REPLAY_ENTRY,
    onEarlyEviction: () => early++,
  });
  await store.claim("evt-first", testDeadline());
  await store.complete("evt-first", ATTEMPT);
  for (let index = 0; index < 300_000; index++) {
    clock = index / 5; // 5,000 a second
    await store.claim(`evt-${index}`, testDeadline());
    await store.complete(`evt-${index}`, ATTEMPT);
  }
  assert.deepEqual(await store.claim("evt-first", testDeadline()), { kind: "replay", attempt: ATTEMPT });
  assert.equal(early, 0);
  clock = 11 * 60_000; // past every id's 10 minutes: new ids take expired slots, not live ones
  for (let index = 0; index < 300_000; index++) await store.claim(`evt-later-${index}`, testDeadline());
  assert.equal(early, 0);
});

Deno.test("[replay store: memory] past its byte budget the oldest id goes early, and that is reported", async () => {
  let early = 0;
  const store = createMemoryReplayStore({
    budgetBytes: 100 * BYTES_PER_REPLAY_ENTRY,
    onEarlyEviction: () => early++,
  });
  for (let index = 0; index < 150; index++) {
    await store.claim(`evt-${index}`, testDeadline());
    await store.complete(`evt-${index}`, ATTEMPT);
  }
  assert.equal(store.size(), 100);
  assert.equal(early, 50);
  assert.equal((await store.claim("evt-149", testDeadline())).kind, "replay");
  assert.equal((await store.claim("evt-0", testDeadline())).kind, "claimed");
});

Deno.test("[replay store: memory] memory is the budget, allocated at the start: entries add nothing to it", async () => {
  const { allocated, perEntry, budget } = await footprintOf("replays");
  assert.ok(Math.abs(allocated - budget) < budget * 0.05, `${allocated} bytes for a budget of ${budget}`);
  assert.ok(perEntry < 16, `${perEntry} bytes more per id`);
});

Deno.test("[replay store: deno kv] a copy waiting on another process's claim gets its result, though watch cannot see it", async () => {
  const folder = await Deno.makeTempDir({ prefix: "replay-kv-process-" });
  const path = `${folder}/replay.sqlite`;
  const owner = new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", `--allow-read=${folder}`, `--allow-write=${folder}`, OWNER, path, "evt-1"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const lines = owner.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const kv = await Deno.openKv(path);
  try {
    assert.match((await lines.read()).value ?? "", /claimed/);
    // The copy is waiting once it watches the key: only then does the owner finish.
    let watching!: () => void;
    const watched = new Promise<void>((resolve) => (watching = resolve));
    const spied = new Proxy(kv, {
      get(target, name) {
        if (name === "watch") return (keys: Deno.KvKey[]) => (watching(), target.watch(keys));
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const deadline = new AbortController();
    const bound = setTimeout(() => deadline.abort(), 5_000); // a bound, so a broken wait fails rather than hangs
    const waiting = createKvReplayStore(spied).claim("evt-1", testDeadline(deadline, 5_000));
    await Promise.race([watched, waiting]);
    const writer = owner.stdin.getWriter();
    await writer.write(new TextEncoder().encode("complete\n"));
    await writer.close();
    const claim = await waiting;
    clearTimeout(bound);
    assert.equal(claim.kind, "replay");
  } finally {
    kv.close();
    await lines.cancel();
    await owner.status;
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("[replay store: deno kv, with the rate limiter] a claim carries the passcode's counts in its one commit", async () => {
  const folder = await Deno.makeTempDir({ prefix: "replay-kv-limits-" });
  const kv = await Deno.openKv(`${folder}/state.sqlite`);
  const counted = countingCommits(kv);
  const problems: string[] = [];
  const onStoreError = (operation: string, error: unknown) => problems.push(`${operation}: ${error}`);
  const limits = createKvRateLimiter(counted.kv, { subjectKey: "k", now: () => 1_000_000, onStoreError });
  const store = createKvReplayStore(counted.kv, { limits, onStoreError });
  const perNumber = { key: "per_number:+6591234567", limit: { max: 1, windowMs: 900_000 } };
  const perUser = { key: "per_user:u1", limit: { max: 10, windowMs: 3_600_000 } };
  try {
    assert.deepEqual(await store.claimAndTake!("evt-1", testDeadline(), [perNumber, perUser]), {
      kind: "claimed",
      refused: -1,
    });
    assert.equal(counted.commits, 1, "the claim and both counts, one commit");
    await store.complete("evt-1", ATTEMPT);
    // A copy of the same event counts nothing: its claim fails, and the whole commit with it.
    counted.commits = 0;
    const copy = await store.claimAndTake!("evt-1", testDeadline(), [perNumber, perUser]);
    assert.equal(copy.kind, "replay");
    assert.equal(counted.commits, 1, "the failed claim-and-count only");
    // A new event to the same number is over the per-number limit: claimed, refused, its counts taken back.
    assert.deepEqual(await store.claimAndTake!("evt-2", testDeadline(), [perNumber, perUser]), {
      kind: "claimed",
      refused: 0,
    });
    // The user's limit was counted once in all (evt-1): nine more fit, the tenth after them does not.
    for (let index = 0; index < 9; index++) {
      assert.equal(await limits.take([perUser]), -1, `user take ${index}`);
    }
    assert.equal(await limits.take([perUser]), 0);
    assert.deepEqual(problems, []);
  } finally {
    kv.close();
    await Deno.remove(folder, { recursive: true });
  }
});
