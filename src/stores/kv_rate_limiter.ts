import type { LimitTake, RateLimiter } from "../domain/ports.ts";
import { SLICES_PER_WINDOW, slicesAt } from "./sliding_window.ts";
import { whenUnlocked } from "./kv_locked.ts";

/** Settings for `createKvRateLimiter`. */
export interface KvRateLimiterOptions {
  /** Keys subjects (phone numbers, user ids) with HMAC-SHA-256, so the database never holds a phone number. */
  readonly subjectKey: string;
  readonly now?: () => number;
  /** Told when the store cannot be used; the passcode is then let through (see below). */
  readonly onStoreError?: (operation: string, error: unknown) => void;
}

const COUNTS = ["okta-8x8-telephony-hook", "rate"] as const;
// Every counter, by slice: `sum` drops a key's expiry, so old counters are found here and deleted.
const BY_SLICE = ["okta-8x8-telephony-hook", "rate-slices"] as const;
// Requests that refused each other near the cap look again this many times in all, after up to 5 ms.
const MAX_ATTEMPTS = 5;
const RETRY_JITTER_MS = 5;
/** Old counters deleted per sweep; a sweep runs at most once per request and only when a slice has ended. */
export const SWEEP_BATCH = 100;

/**
 * Sliding windows shared by every instance on one Deno KV database, with no read-modify-write race. Each slice
 * of a window is its own counter key, and a passcode adds one to the current slice of every limit it is
 * counted against, all in one commit of `sum` mutations, which never conflict with another instance's; then it
 * reads each window's slices (one range read of at most 31 keys per limit, in parallel) and, if any total is
 * over its limit, takes them all back in one commit. No more than a limit can pass: of any requests over it,
 * the last to add sees them all. Near the cap, requests in flight may see each other's additions and refuse
 * each other; a refused request reads again after a short random wait and tries again while there is room, at
 * most five times in all. So a passcode costs one commit and one read per limit, and a refusal usually two
 * commits, plus a sweep when a slice has ended: whatever the limits, the traffic or the number of instances.
 *
 * If the store cannot be read or written, the passcode goes through and `onStoreError` is told: locking every
 * user out because a database is down would be worse than a gap in the limits.
 */
export function createKvRateLimiter(kv: Deno.Kv, options: KvRateLimiterOptions): KvRateLimiter {
  const now = options.now ?? Date.now;
  // KvU64 sums wrap around at 2^64, so adding 2^64 - 1 takes one away. Made here, not at import: the first
  // `Deno.KvU64` loads the runtime's KV code, which a service in memory mode never needs.
  const minusOne = new Deno.KvU64((1n << 64n) - 1n);
  const subjectOf = hmacSha256Hex(options.subjectKey);
  // Per slice width in use: the slice this instance last swept at, and whether old counters were left.
  const swept = new Map<number, { slice: number; more: boolean }>();

  async function windowTotal(subject: string, width: number, oldest: number, current: number) {
    let total = 0n;
    const range = {
      start: [...COUNTS, subject, width, oldest],
      end: [...COUNTS, subject, width, current + 1],
    };
    for await (const entry of kv.list<Deno.KvU64>(range)) total += entry.value.value;
    return total;
  }

  // One batch of counters older than any window of this width, with their index entries.
  async function sweepWidth(width: number, current: number): Promise<number> {
    const end = [...BY_SLICE, width, current - SLICES_PER_WINDOW - 1];
    const stale = await Array.fromAsync(
      kv.list({ start: [...BY_SLICE, width], end }, { limit: SWEEP_BATCH }),
    );
    if (stale.length === 0) return 0;
    const deletes = kv.atomic();
    for (const { key } of stale) {
      const [slice, subject] = key.slice(BY_SLICE.length + 1) as [number, string];
      deletes.delete(key).delete([...COUNTS, subject, width, slice]);
    }
    await whenUnlocked(() => deletes.commit());
    return stale.length;
  }

  async function sweepIfDue(width: number, current: number): Promise<void> {
    const last = swept.get(width);
    if (last !== undefined && last.slice === current && !last.more) return;
    swept.set(width, { slice: current, more: false });
    const deleted = await sweepWidth(width, current);
    swept.set(width, { slice: current, more: deleted === SWEEP_BATCH });
  }

  // One subject's counter in the current slice of its window.
  interface Counted {
    readonly subject: string;
    readonly max: number;
    readonly width: number;
    readonly current: number;
    readonly oldest: number;
  }
  const counterOf = (entry: Counted) => [...COUNTS, entry.subject, entry.width, entry.current];
  const totals = (entries: readonly Counted[]) =>
    Promise.all(entries.map((entry) => windowTotal(entry.subject, entry.width, entry.oldest, entry.current)));

  function addCounts(atomic: Deno.AtomicOperation, entries: readonly Counted[]): Deno.AtomicOperation {
    for (const entry of entries) {
      atomic.sum(counterOf(entry), 1n).set(
        [...BY_SLICE, entry.width, entry.current, entry.subject],
        true,
      );
    }
    return atomic;
  }

  // After the counts were added: reads every window and, over any limit, takes them all back in one commit; near
  // the cap, tries again a few times. -1 when all passed, else the index of a limit that was full.
  async function settle(entries: readonly Counted[]): Promise<number> {
    let operation = "read";
    let over = -1;
    try {
      for (let attempt = 1;; attempt++) {
        operation = "read";
        const seen = await whenUnlocked(() => totals(entries));
        over = seen.findIndex((total, index) => total > BigInt(entries[index]!.max));
        if (over < 0) return -1;
        operation = "undo";
        const undoing = kv.atomic();
        for (const entry of entries) undoing.mutate({ type: "sum", key: counterOf(entry), value: minusOne });
        await whenUnlocked(() => undoing.commit());
        if (attempt === MAX_ATTEMPTS) return over;
        // Others near the cap may have been refused too and be taking theirs back: after a short random wait,
        // look again, and try once more only if there is room now.
        operation = "read";
        await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_JITTER_MS * attempt));
        const now = await whenUnlocked(() => totals(entries));
        over = now.findIndex((total, index) => total >= BigInt(entries[index]!.max));
        if (over >= 0) return over;
        operation = "count";
        await whenUnlocked(() => addCounts(kv.atomic(), entries).commit());
      }
    } catch (error) {
      options.onStoreError?.(operation, error);
      // Refused but the undo failed: still refused; the extra count errs toward fewer messages.
      return operation === "undo" ? over : -1;
    }
  }

  async function sweep(entries: readonly Counted[]): Promise<void> {
    for (const width of new Set(entries.map((entry) => entry.width))) {
      try {
        await sweepIfDue(width, entries.find((entry) => entry.width === width)!.current);
      } catch (error) {
        options.onStoreError?.("sweep", error); // costs nothing now: the next sweep picks them up
      }
    }
  }

  async function prepare(takes: readonly LimitTake[]): Promise<PreparedCounts> {
    const at = now();
    const subjects = await Promise.all(takes.map(({ key }) => subjectOf(key)));
    const entries = takes.map(({ limit }, index) => ({
      subject: subjects[index]!,
      max: limit.max,
      ...slicesAt(at, limit),
    }));
    return {
      addTo: (atomic) => void addCounts(atomic, entries),
      async settle() {
        const refused = await settle(entries);
        await sweep(entries);
        return refused;
      },
    };
  }

  return {
    prepare,
    async take(takes: readonly LimitTake[]): Promise<number> {
      const counts = await prepare(takes);
      try {
        await whenUnlocked(() => {
          const atomic = kv.atomic();
          counts.addTo(atomic);
          return atomic.commit();
        });
      } catch (error) {
        options.onStoreError?.("count", error);
        return -1;
      }
      return await counts.settle();
    },
  };
}

/** A passcode's counts, ready to go into an atomic operation that someone else commits. */
export interface PreparedCounts {
  /** Adds one to every limit's counter in `atomic`. */
  addTo(atomic: Deno.AtomicOperation): void;
  /** Once `addTo`'s operation has committed: -1 when every limit had room, else the index of a full one (then
   * the counts were taken back). */
  settle(): Promise<number>;
}

/** The KV rate limiter, which can also put its counts into another store's commit (see kv_replay_store.ts). */
export interface KvRateLimiter extends RateLimiter {
  prepare(takes: readonly LimitTake[]): Promise<PreparedCounts>;
}

// HMAC-SHA-256 in hex, the same as `node:crypto`'s `createHmac`, so counters written by earlier builds still
// count; WebCrypto keeps Node compatibility (and its start-up time) out of the service.
function hmacSha256Hex(secret: string): (message: string) => Promise<string> {
  const encoder = new TextEncoder();
  const key = crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  return async (message) =>
    new Uint8Array(await crypto.subtle.sign("HMAC", await key, encoder.encode(message))).toHex();
}
