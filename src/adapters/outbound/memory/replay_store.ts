import type { DeliveryAttempt } from "../../../domain/deliver_otp.ts";
import type { Claim, Deadline, ReplayStore } from "../../../domain/ports.ts";

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
  /** Settles when the owner completes (with the result) or releases (with undefined). */
  readonly settled: Promise<DeliveryAttempt | undefined>;
  readonly settle: (result: DeliveryAttempt | undefined) => void;
}

/** The replay store of one process: fast, bounded in memory, and forgotten on restart. */
export function createMemoryReplayStore(
  options: MemoryReplayOptions = {},
): ReplayStore & { size(): number; inFlight(): number } {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order, so its first key is always the oldest entry.
  const entries = new Map<string, Entry>();

  function insert(eventId: string): void {
    let settle!: Entry["settle"];
    const settled = new Promise<DeliveryAttempt | undefined>((resolve) => settle = resolve);
    entries.set(eventId, { expiresAt: now() + ttlMs, settled, settle });
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value!;
      entries.get(oldest)!.settle(undefined);
      entries.delete(oldest);
    }
  }

  return {
    async claim(eventId: string, deadline: Deadline): Promise<Claim> {
      for (;;) {
        const entry = entries.get(eventId);
        if (entry === undefined || entry.expiresAt <= now()) {
          entries.delete(eventId);
          insert(eventId);
          return { kind: "claimed" };
        }
        if (entry.result !== undefined) return { kind: "replay", attempt: entry.result };
        const result = await Promise.race([entry.settled, aborted(deadline.signal)]);
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
        entry.settle(attempt);
      }
      return Promise.resolve();
    },
    release(eventId: string): Promise<void> {
      entries.get(eventId)?.settle(undefined);
      entries.delete(eventId);
      return Promise.resolve();
    },
    size: () => entries.size,
    inFlight: () => [...entries.values()].filter((entry) => entry.result === undefined).length,
  };
}

// Resolves (to undefined) when the signal aborts, and never otherwise.
function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener("abort", () => resolve(undefined), { once: true });
  });
}
