import type { Logger } from "../observability/json_logger.ts";

/** Where the stores report trouble that costs protection: a failed operation, or memory that ran out. */
export interface StoreHealth {
  /** An operation failed and the request went on without it (fail-open). */
  failed(store: string, operation: string, error: unknown): void;
  /** The memory budget made an entry go before its time. */
  evictedEarly(store: string): void;
}

// What the service did instead, said where an operator reads it.
const EFFECTS: Readonly<Record<string, string>> = {
  "rate_limits:count": "passcode allowed without this limit (fail-open)",
  "rate_limits:read": "passcode allowed without this limit (fail-open)",
  "rate_limits:undo": "passcode refused; the window counts one too many",
  "rate_limits:sweep": "old counters stay until the next sweep",
  "ledger:remember": "8x8's receipts for this SMS cannot be joined to it",
  "replays:claim": "passcode sent without de-duplication (fail-open)",
  "replays:complete": "a later copy of this event may be sent again",
  "replays:release": "the event id stays claimed until its claim expires (10 s)",
};

/** Settings for `createStoreHealth`. */
export interface StoreHealthOptions {
  readonly logger: Logger;
  /** Counts every occurrence, for `/metrics`. */
  readonly count: {
    storeFailure(store: string, operation: string): void;
    storeEarlyEviction(store: string): void;
  };
  /** At most one log line per store and kind of trouble in this time. Default 60 s. */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/**
 * Counts every problem and logs the first of each kind at once, then at most one line per interval with how many
 * happened since: an outage under load is one readable line a minute, not one per request.
 */
export function createStoreHealth(options: StoreHealthOptions): StoreHealth {
  const intervalMs = options.intervalMs ?? 60_000;
  const now = options.now ?? (() => performance.now());
  const seen = new Map<string, { loggedAt: number; since: number }>();
  // True when this occurrence should be logged; `occurrences` then says how many it stands for.
  function due(kind: string): number {
    const at = now();
    const state = seen.get(kind);
    if (state === undefined) {
      seen.set(kind, { loggedAt: at, since: 0 });
      return 1;
    }
    state.since++;
    if (at - state.loggedAt < intervalMs) return 0;
    const occurrences = state.since;
    state.loggedAt = at;
    state.since = 0;
    return occurrences;
  }
  return {
    failed(store, operation, error) {
      options.count.storeFailure(store, operation);
      const occurrences = due(`failed:${store}:${operation}`);
      if (occurrences === 0) return;
      // Store errors quote keys at most, and keys hold hashes and event ids, never a number or a code.
      const message = error instanceof Error ? error.message.slice(0, 160) : undefined;
      options.logger.error("store_failed", {
        store,
        operation,
        error: error instanceof Error ? error.name : typeof error,
        message,
        occurrences,
        effect: EFFECTS[`${store}:${operation}`] ?? "the request went on without this store",
      });
    },
    evictedEarly(store) {
      options.count.storeEarlyEviction(store);
      const occurrences = due(`evicted:${store}`);
      if (occurrences === 0) return;
      options.logger.warn("store_memory_full", {
        store,
        occurrences,
        effect: "entries forgotten before their time; raise STORE_MEMORY_MB or use STATE_STORE=kv",
      });
    },
  };
}
