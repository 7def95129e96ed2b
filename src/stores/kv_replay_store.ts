import type { DeliveryAttempt } from "../domain/delivery.ts";
import type { Claim, CountedClaim, Deadline, LimitTake, ReplayStore } from "../domain/ports.ts";
import type { KvRateLimiter } from "./kv_rate_limiter.ts";
import { whenUnlocked } from "./kv_locked.ts";

/** Settings for `createKvReplayStore`. */
export interface KvReplayOptions {
  /** How long a result is remembered. Default 10 minutes: twice an Okta passcode's life. */
  readonly ttlMs?: number;
  /** How long a claim without a result holds, so a crashed instance cannot block an id for long. Default 10 s. */
  readonly claimTtlMs?: number;
  /** Told when the store cannot be used; the request then delivers without de-duplication. */
  readonly onStoreError?: (operation: string, error: unknown) => void;
  /**
   * The rate limiter on the same database: then a claim can carry the passcode's counts in its own commit
   * (`claimAndTake`), one write where there were two.
   */
  readonly limits?: KvRateLimiter;
}

type Stored = { readonly state: "claimed" } | { readonly state: "done"; readonly attempt: DeliveryAttempt };

const PREFIX = ["okta-8x8-telephony-hook", "replay"] as const;
const FIRST_POLL_MS = 5;
const LONGEST_POLL_MS = 100;

/**
 * The replay store shared by every instance on one Deno KV database (a local file, a remote KV URL, or the
 * database Deno Deploy attaches). A claim is an atomic insert-if-absent. A copy that loses the race watches
 * the key and also reads it again with backoff (5 ms, growing to 100 ms): `watch` on a local file does not see
 * another process's writes, and polling makes the wait work on every store.
 */
export function createKvReplayStore(kv: Deno.Kv, options: KvReplayOptions = {}): ReplayStore {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const claimTtlMs = options.claimTtlMs ?? 10_000;
  const keyOf = (eventId: string) => [...PREFIX, eventId];

  // An insert-if-absent of the claim; `alsoCount` adds the rate limiter's counts to the same commit.
  async function tryClaim(
    key: Deno.KvKey,
    alsoCount?: (atomic: Deno.AtomicOperation) => void,
  ): Promise<boolean> {
    const claimed: Stored = { state: "claimed" };
    const result = await whenUnlocked(() => {
      const atomic = kv.atomic().check({ key, versionstamp: null }).set(key, claimed, {
        expireIn: claimTtlMs,
      });
      alsoCount?.(atomic);
      return atomic.commit();
    });
    return result.ok;
  }

  // What a waiting copy does with what it saw: a result ends the wait; a missing key means the owner let go.
  async function settle(key: Deno.KvKey, stored: Stored | null): Promise<Claim | undefined> {
    if (stored?.state === "done") return { kind: "replay", attempt: stored.attempt };
    if (stored === null && await tryClaim(key)) return { kind: "claimed" };
    return undefined;
  }

  async function waitForResult(key: Deno.KvKey, deadline: Deadline): Promise<Claim> {
    const changes = kv.watch<[Stored]>([key]).getReader();
    const stop = () => void changes.cancel().catch(() => {});
    deadline.signal.addEventListener("abort", stop, { once: true });
    let change = changes.read();
    let pollMs = FIRST_POLL_MS;
    try {
      while (!deadline.signal.aborted) {
        const timer = sleep(Math.max(1, Math.min(pollMs, deadline.remainingMs())));
        const next = await Promise.race([change, timer.done]);
        timer.cancel();
        if (deadline.signal.aborted) break;
        let stored: Stored | null;
        if (next === "timeout") {
          stored = (await whenUnlocked(() => kv.get<Stored>(key))).value;
          pollMs = Math.min(LONGEST_POLL_MS, pollMs * 2);
        } else {
          if (next.done) break;
          stored = next.value[0].value;
          change = changes.read();
        }
        const claim = await settle(key, stored);
        if (claim !== undefined) return claim;
      }
      return { kind: "in_flight" };
    } finally {
      deadline.signal.removeEventListener("abort", stop);
      stop();
    }
  }

  // A store that is down must not stop passcodes: such a request is delivered as if it were the first copy.
  async function orReport<T>(operation: string, run: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await run();
    } catch (error) {
      options.onStoreError?.(operation, error);
      return fallback;
    }
  }

  // A claim and the passcode's counts in one commit. A copy that loses the claim counted nothing (the commit
  // failed whole); if it is left the id later (its owner let go), it counts on its own.
  const claimAndTake =
    (limits: KvRateLimiter) =>
    async (eventId: string, deadline: Deadline, takes: readonly LimitTake[]): Promise<CountedClaim> => {
      const key = keyOf(eventId);
      return await orReport<CountedClaim>(
        "claim",
        async () => {
          const counts = await limits.prepare(takes);
          if (await tryClaim(key, counts.addTo)) return { kind: "claimed", refused: await counts.settle() };
          const claim = await waitForResult(key, deadline);
          return claim.kind === "claimed" ? { kind: "claimed", refused: await limits.take(takes) } : claim;
        },
        { kind: "claimed", refused: -1 },
      );
    };

  return {
    ...(options.limits === undefined ? {} : { claimAndTake: claimAndTake(options.limits) }),
    claim(eventId: string, deadline: Deadline): Promise<Claim> {
      const key = keyOf(eventId);
      return orReport(
        "claim",
        async () => (await tryClaim(key)) ? { kind: "claimed" } : await waitForResult(key, deadline),
        { kind: "claimed" },
      );
    },
    complete(eventId: string, attempt: DeliveryAttempt): Promise<void> {
      const done: Stored = { state: "done", attempt };
      return orReport(
        "complete",
        async () => void await whenUnlocked(() => kv.set(keyOf(eventId), done, { expireIn: ttlMs })),
        undefined,
      );
    },
    release(eventId: string): Promise<void> {
      return orReport("release", () => whenUnlocked(() => kv.delete(keyOf(eventId))), undefined);
    },
  };
}

// A timer that can be cancelled, so a wait that ended early leaves nothing running behind it.
function sleep(ms: number): { done: Promise<"timeout">; cancel(): void } {
  let id: ReturnType<typeof setTimeout> | undefined;
  const done = new Promise<"timeout">((resolve) => (id = setTimeout(() => resolve("timeout"), ms)));
  return { done, cancel: () => clearTimeout(id) };
}
