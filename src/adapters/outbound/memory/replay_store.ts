import type { DeliveryAttempt } from "../../../domain/deliver_otp.ts";
import type { Claim, Deadline, ReplayStore } from "../../../domain/ports.ts";
import { createExpiringMap } from "./expiring_map.ts";

/** Settings for `createMemoryReplayStore`. */
export interface MemoryReplayOptions {
  /** How long an id is remembered from its first copy. Default 10 minutes: twice an Okta passcode's life. */
  readonly ttlMs?: number;
  /** Memory for remembered ids, in bytes (default 160 MiB). */
  readonly budgetBytes?: number;
  readonly now?: () => number;
  /** Told when the budget makes an id go before its time: a copy arriving later would be sent again. */
  readonly onEarlyEviction?: () => void;
}

interface Entry {
  expiresAt: number;
  result?: DeliveryAttempt;
  /** Copies waiting for the owner; made only when a copy arrives, which is rare. */
  waiters?: ((result: DeliveryAttempt | undefined) => void)[];
}

/** Heap bytes one remembered delivery takes at most (measured by the replay store tests). */
export const BYTES_PER_REPLAY_ENTRY = 480;
/** The replay store's memory unless told otherwise. */
export const DEFAULT_REPLAY_BUDGET_BYTES = 160 * 1024 * 1024;

/**
 * The replay store of one process: every id is remembered for `ttlMs` from its first copy, at any request rate,
 * as long as the byte budget holds them (160 MiB: about 349,000 ids). Forgotten on restart.
 */
export function createMemoryReplayStore(
  options: MemoryReplayOptions = {},
): ReplayStore & { size(): number; inFlight(): number } {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const budgetBytes = options.budgetBytes ?? DEFAULT_REPLAY_BUDGET_BYTES;
  function settle(entry: Entry, result: DeliveryAttempt | undefined): void {
    entry.waiters?.forEach((wake) => wake(result));
    entry.waiters = undefined;
  }

  const maxEntries = Math.max(1, Math.floor(budgetBytes / BYTES_PER_REPLAY_ENTRY));
  const entries = createExpiringMap<Entry>({
    now,
    // An id that goes while in flight lets its waiting copies go: they may then deliver themselves.
    onRemove: (entry) => settle(entry, undefined),
    onEarlyEviction: options.onEarlyEviction,
  });

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
        if (entry === undefined) {
          if (entries.size >= maxEntries) entries.evictOldest();
          // The expiry is fixed at the first copy, so the map's queue stays in expiry order.
          entries.set(eventId, { expiresAt: now() + ttlMs });
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
