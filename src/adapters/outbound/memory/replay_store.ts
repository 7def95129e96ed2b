import type { DeliveryAttempt } from "../../../domain/deliver_otp.ts";
import type { Claim, Deadline, ReplayStore } from "../../../domain/ports.ts";
import { createBoundedMap } from "./bounded_map.ts";

/** Settings for `createMemoryReplayStore`. */
export interface MemoryReplayOptions {
  /** How long a result is remembered. Default 10 minutes: twice an Okta passcode's life. */
  readonly ttlMs?: number;
  /** At most this many ids are kept; the oldest go first. Default 10,000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Entry {
  expiresAt: number;
  result?: DeliveryAttempt;
  /** Copies waiting for the owner; made only when a copy arrives, which is rare. */
  waiters?: ((result: DeliveryAttempt | undefined) => void)[];
}

/** How many event ids the store remembers unless told otherwise. */
export const DEFAULT_REPLAY_ENTRIES = 10_000;

/** The replay store of one process: fast, bounded in memory, and forgotten on restart. */
export function createMemoryReplayStore(
  options: MemoryReplayOptions = {},
): ReplayStore & { size(): number; inFlight(): number } {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const maxEntries = options.maxEntries ?? DEFAULT_REPLAY_ENTRIES;
  const now = options.now ?? Date.now;
  function settle(entry: Entry, result: DeliveryAttempt | undefined): void {
    entry.waiters?.forEach((wake) => wake(result));
    entry.waiters = undefined;
  }

  // An evicted id still in flight lets its waiting copies go: they may then deliver themselves.
  const entries = createBoundedMap<Entry>(maxEntries, (entry) => settle(entry, undefined));

  function insert(eventId: string): void {
    entries.set(eventId, { expiresAt: now() + ttlMs });
  }

  function waitFor(entry: Entry, signal: AbortSignal): Promise<DeliveryAttempt | undefined> {
    return new Promise((resolve) => {
      const stop = () => resolve(undefined);
      if (signal.aborted) return stop();
      signal.addEventListener("abort", stop, { once: true });
      (entry.waiters ??= []).push((result) => {
        signal.removeEventListener("abort", stop);
        resolve(result);
      });
    });
  }

  return {
    async claim(eventId: string, deadline: Deadline): Promise<Claim> {
      for (;;) {
        const entry = entries.get(eventId);
        if (entry === undefined || entry.expiresAt <= now()) {
          if (entry !== undefined) entries.delete(eventId);
          insert(eventId);
          return { kind: "claimed" };
        }
        if (entry.result !== undefined) return { kind: "replay", attempt: entry.result };
        const result = await waitFor(entry, deadline.signal);
        if (result !== undefined) return { kind: "replay", attempt: result };
        if (deadline.signal.aborted) return { kind: "in_flight" };
        // The owner released the id without a result: this copy may deliver it.
      }
    },
    complete(eventId: string, attempt: DeliveryAttempt): Promise<void> {
      const entry = entries.get(eventId);
      if (entry !== undefined) {
        entry.result = attempt;
        entry.expiresAt = now() + ttlMs;
        settle(entry, attempt);
      }
      return Promise.resolve();
    },
    release(eventId: string): Promise<void> {
      const entry = entries.get(eventId);
      entries.delete(eventId);
      if (entry !== undefined) settle(entry, undefined);
      return Promise.resolve();
    },
    size: () => entries.size,
    inFlight: () => [...entries.values()].filter((entry) => entry.result === undefined).length,
  };
}
