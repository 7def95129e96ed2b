// One contract, checked against both rate limiters: in memory, and two connections to one Deno KV file, as two
// service instances would share it.
import assert from "node:assert/strict";
import { createKvRateLimiter, SWEEP_BATCH } from "../../src/stores/kv_rate_limiter.ts";
import { BYTES_PER_SUBJECT, createMemoryRateLimiter } from "../../src/stores/memory_rate_limiter.ts";
import { SLICES_PER_WINDOW } from "../../src/stores/sliding_window.ts";
import type { RateLimiter } from "../../src/domain/ports.ts";
import type { RateLimit } from "../../src/domain/abuse_rules.ts";
import { footprintOf } from "../support/heap.ts";
import { countingCommits } from "../support/kv_commits.ts";

/** Two handles on one limiter's state, a settable clock, and what the store reported. */
interface LimiterPair {
  readonly first: RateLimiter;
  readonly second: RateLimiter;
  readonly clock: { now: number };
  readonly problems: string[];
  close(): Promise<void>;
}

const ADAPTERS: Record<string, () => Promise<LimiterPair>> = {
  "memory": () => {
    const clock = { now: 1_000_000 };
    const limiter = createMemoryRateLimiter({ now: () => clock.now });
    return Promise.resolve({
      first: limiter,
      second: limiter,
      clock,
      problems: [],
      close: () => Promise.resolve(),
    });
  },
  "deno kv, two connections to one file": async () => {
    const clock = { now: 1_000_000 };
    const problems: string[] = [];
    const folder = await Deno.makeTempDir({ prefix: "limits-kv-" });
    const kvs = [await Deno.openKv(`${folder}/limits.sqlite`), await Deno.openKv(`${folder}/limits.sqlite`)];
    const [first, second] = kvs.map((kv) =>
      createKvRateLimiter(kv, {
        subjectKey: "test-subject-key",
        now: () => clock.now,
        onStoreError: (operation, error) => problems.push(`${operation}: ${error}`),
      })
    );
    return {
      first: first!,
      second: second!,
      clock,
      problems,
      async close() {
        kvs.forEach((kv) => kv.close());
        await Deno.remove(folder, { recursive: true });
      },
    };
  },
};

const MINUTE = 60_000;

/** One subject against one limit: true when it had room and was counted. */
async function takeOne(limiter: RateLimiter, key: string, limit: RateLimit): Promise<boolean> {
  return (await limiter.take([{ key, limit }])) < 0;
}

for (const [name, open] of Object.entries(ADAPTERS)) {
  Deno.test(`[rate limiter: ${name}] a passcode is counted against all its limits or none`, async () => {
    const { first, second, problems, close } = await open();
    try {
      const perNumber = { key: "per_number:+6591234567", limit: { max: 1, windowMs: 15 * MINUTE } };
      const perUser = { key: "per_user:u1", limit: { max: 3, windowMs: 60 * MINUTE } };
      assert.equal(await first.take([perNumber, perUser]), -1, "both had room: both counted");
      assert.equal(await second.take([perUser, perNumber]), 1, "the number's limit is full: its index");
      // The refused passcode used none of the user's limit: two of its three are left.
      assert.equal(await first.take([perUser]), -1);
      assert.equal(await second.take([perUser]), -1);
      assert.equal(await first.take([perUser]), 0);
      assert.equal(await first.take([]), -1, "no limits: nothing to refuse");
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  Deno.test(`[rate limiter: ${name}] N pass, the next is refused, other subjects are not affected`, async () => {
    const { first, second, problems, close } = await open();
    try {
      const limit = { max: 3, windowMs: 10 * MINUTE };
      const taken = [];
      for (let index = 0; index < 5; index++) {
        taken.push(await takeOne(index % 2 ? second : first, "a", limit));
      }
      assert.deepEqual(taken, [true, true, true, false, false]);
      assert.equal(await takeOne(second, "b", limit), true);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  Deno.test(`[rate limiter: ${name}] the window slides: a slot frees between W and W + W/${SLICES_PER_WINDOW} after its passcode`, async () => {
    const { first, clock, close } = await open();
    try {
      const limit = { max: 2, windowMs: 30 * MINUTE }; // slices of one minute
      const start = clock.now = 100 * MINUTE; // a slice boundary
      assert.equal(await takeOne(first, "a", limit), true);
      clock.now = start + 5 * MINUTE;
      assert.equal(await takeOne(first, "a", limit), true);
      assert.equal(await takeOne(first, "a", limit), false, "refused: both are in the window");
      clock.now = start + 30 * MINUTE - 1;
      assert.equal(await takeOne(first, "a", limit), false, "never more than 2 in any 30 minutes");
      clock.now = start + 31 * MINUTE;
      assert.equal(await takeOne(first, "a", limit), true, "by W + W/30 the first has left the window");
      assert.equal(
        await takeOne(first, "a", limit),
        false,
        "a refused request counted nothing, this one did",
      );
    } finally {
      await close();
    }
  });

  Deno.test(`[rate limiter: ${name}] a burst at 16 concurrent stops at a cap of 6,000, more than one KV value could list`, async () => {
    const { first, second, problems, close } = await open();
    try {
      const limit = { max: 6_000, windowMs: 60 * MINUTE };
      let allowed = 0;
      let next = 0;
      const worker = async (limiter: RateLimiter) => {
        while (next++ < 6_200) if (await takeOne(limiter, "per_country:1", limit)) allowed++;
      };
      await Promise.all(Array.from({ length: 16 }, (_, index) => worker(index % 2 ? second : first)));
      assert.equal(allowed, 6_000);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
}

Deno.test("[rate limiter: deno kv, two connections] five at once against a cap of 3: exactly 3 pass, 50 times over", async () => {
  const pair = await ADAPTERS["deno kv, two connections to one file"]!();
  try {
    const limit = { max: 3, windowMs: 10 * MINUTE };
    for (let group = 0; group < 50; group++) {
      const taken = await Promise.all(
        Array.from(
          { length: 5 },
          (_, index) => takeOne(index % 2 ? pair.second : pair.first, `g${group}`, limit),
        ),
      );
      assert.equal(taken.filter(Boolean).length, 3, `group ${group}`);
    }
  } finally {
    await pair.close();
  }
});

Deno.test("[rate limiter: memory] a limited number stays limited through a flood of 300,000 other subjects", async () => {
  let clock = 0;
  let early = 0;
  const limiter = createMemoryRateLimiter({
    now: () => clock,
    budgetBytes: 310_000 * BYTES_PER_SUBJECT,
    onEarlyEviction: () => early++,
  });
  const limit = { max: 1, windowMs: 15 * MINUTE };
  assert.equal(await takeOne(limiter, "per_number:+14155552671", limit), true);
  for (let index = 0; index < 300_000; index++) {
    clock = index; // 300 s of traffic
    await takeOne(limiter, `per_number:+1646${index}`, limit);
  }
  assert.equal(await takeOne(limiter, "per_number:+14155552671", limit), false);
  assert.equal(early, 0);
  clock = 25 * MINUTE; // every subject's window and last slice have passed: new ones take expired slots
  for (let index = 0; index < 300_000; index++) await takeOne(limiter, `per_number:+1212${index}`, limit);
  assert.equal(early, 0);
});

Deno.test("[rate limiter: memory] past its byte budget the oldest subject goes early, and that is reported", async () => {
  let early = 0;
  const limiter = createMemoryRateLimiter({
    budgetBytes: 100 * BYTES_PER_SUBJECT,
    onEarlyEviction: () => early++,
  });
  const limit = { max: 1, windowMs: 15 * MINUTE };
  for (let index = 0; index < 150; index++) await takeOne(limiter, `per_user:${index}`, limit);
  assert.equal(limiter.size(), 100);
  assert.equal(early, 50);
  assert.equal(await takeOne(limiter, "per_user:0", limit), true, "forgotten early: counted afresh");
  assert.equal(await takeOne(limiter, "per_user:149", limit), false, "still held");
});

Deno.test("[rate limiter: deno kv] counters of past windows are swept, so the database does not grow with traffic", async () => {
  const kv = await Deno.openKv(":memory:");
  let clock = 0;
  const limiter = createKvRateLimiter(kv, { subjectKey: "k", now: () => clock });
  const limit = { max: 5, windowMs: 30 * MINUTE };
  const keys = async () => (await Array.fromAsync(kv.list({ prefix: [] }))).length;
  try {
    for (let index = 0; index < 150; index++) await takeOne(limiter, `per_number:${index}`, limit);
    assert.equal(await keys(), 300, "a counter and its index entry per subject");
    clock = 40 * MINUTE; // past the window and its last slice
    assert.equal(await takeOne(limiter, "per_number:new", limit), true);
    assert.equal(await keys(), 300 - 2 * SWEEP_BATCH + 2, "one batch swept on the request path");
    assert.equal(await takeOne(limiter, "per_number:new", limit), true);
    assert.equal(await keys(), 2, "the rest in the next request's sweep");
  } finally {
    kv.close();
  }
});

Deno.test("[rate limiter: deno kv] subjects are keyed with HMAC-SHA-256 in hex, as every earlier build keyed them", async () => {
  // RFC 4231, test case 2. Instances of two builds share one database during a rolling upgrade: a subject keyed
  // any other way would start its count from zero.
  const kv = await Deno.openKv(":memory:");
  const limiter = createKvRateLimiter(kv, { subjectKey: "Jefe" });
  try {
    assert.equal(await takeOne(limiter, "what do ya want for nothing?", { max: 1, windowMs: MINUTE }), true);
    const subjects = new Set((await Array.fromAsync(kv.list({ prefix: [] }))).flatMap(({ key }) => key));
    assert.ok(subjects.has("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    assert.ok(![...subjects].some((part) => String(part).includes("what do ya want")));
  } finally {
    kv.close();
  }
});

Deno.test("[rate limiter: deno kv] a store that fails lets the passcode through and says which operation failed", async () => {
  const kv = await Deno.openKv(":memory:");
  const problems: string[] = [];
  const limiter = createKvRateLimiter(kv, {
    subjectKey: "k",
    onStoreError: (operation, error) => problems.push(`${operation}: ${(error as Error).name}`),
  });
  kv.close();
  assert.equal(await takeOne(limiter, "per_number:+14155552671", { max: 1, windowMs: MINUTE }), true);
  assert.match(problems[0]!, /^count: /);
});

Deno.test("[rate limiter: memory] memory is the budget, allocated at the start: entries add nothing to it", async () => {
  const { allocated, perEntry, budget } = await footprintOf("limiter");
  assert.ok(Math.abs(allocated - budget) < budget * 0.05, `${allocated} bytes for a budget of ${budget}`);
  assert.ok(perEntry < 16, `${perEntry} bytes more per subject`);
});

Deno.test("[rate limiter: deno kv] a passcode's limits are counted in one commit, and a refusal takes them back in one", async () => {
  const folder = await Deno.makeTempDir({ prefix: "limits-kv-" });
  const kv = await Deno.openKv(`${folder}/limits.sqlite`);
  const counted = countingCommits(kv);
  try {
    const problems: string[] = [];
    const limiter = createKvRateLimiter(counted.kv, {
      subjectKey: "k",
      now: () => 1_000_000,
      onStoreError: (operation, error) => problems.push(`${operation}: ${error}`),
    });
    const takes = [
      { key: "per_number:+6591234567", limit: { max: 1, windowMs: 15 * MINUTE } },
      { key: "per_user:u1", limit: { max: 10, windowMs: 60 * MINUTE } },
      { key: "per_country:65", limit: { max: 100, windowMs: 60 * MINUTE } },
    ];
    assert.equal(await limiter.take(takes), -1);
    assert.equal(counted.commits, 1, "three limits, one commit");
    counted.commits = 0;
    assert.equal(await limiter.take(takes), 0);
    // Refused at once: counted, read, taken back, looked at again and found still full.
    assert.equal(counted.commits, 2, "the count and its undo");
    assert.deepEqual(problems, []);
  } finally {
    kv.close();
    await Deno.remove(folder, { recursive: true });
  }
});
