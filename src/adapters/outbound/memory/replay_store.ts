import type { DeliveryAttempt } from "../../../domain/deliver_otp.ts";
import type { Delivery } from "../../../domain/delivery.ts";
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
  /** The first copy's result, packed into one string: a third of the memory of the object, and nothing to trace. */
  packed?: string;
  /** Copies waiting for the owner; made only when a copy arrives, which is rare. */
  waiters?: ((result: DeliveryAttempt | undefined) => void)[];
}

/** Heap bytes one remembered delivery takes at most (measured by the replay store tests). */
export const BYTES_PER_REPLAY_ENTRY = 352;
/** The replay store's memory unless told otherwise. */
export const DEFAULT_REPLAY_BUDGET_BYTES = 160 * 1024 * 1024;

/**
 * The replay store of one process: every id is remembered for `ttlMs` from its first copy, at any request rate,
 * as long as the byte budget holds them (160 MiB: about 476,000 ids). Forgotten on restart.
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
        if (entry.packed !== undefined) return { kind: "replay", attempt: unpack(entry.packed) };
        const result = await waitFor(entry, deadline.signal);
        if (result !== undefined) return { kind: "replay", attempt: result };
        if (deadline.signal.aborted) return { kind: "in_flight" };
        // The owner released the id without a result: this copy may deliver it.
      }
    },
    complete(eventId: string, attempt: DeliveryAttempt): Promise<void> {
      const entry = entries.get(eventId);
      if (entry !== undefined) {
        entry.packed = pack(attempt);
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
    inFlight: () => [...entries.values()].filter((entry) => entry.packed === undefined).length,
  };
}

type Packed = [
  outcome: string,
  provider: string | undefined,
  transactionIdOrReason: string,
  metadata: Record<string, string>,
  maskedDestination: string,
  countryCallingCode: string | undefined,
];

function pack({ delivery, maskedDestination, countryCallingCode }: DeliveryAttempt): string {
  const idOrReason = delivery.outcome === "delivered" ? delivery.transactionId : delivery.reason;
  const packed: Packed = [
    delivery.outcome,
    delivery.provider,
    idOrReason,
    delivery.metadata,
    maskedDestination,
    countryCallingCode,
  ];
  return JSON.stringify(packed);
}

function unpack(text: string): DeliveryAttempt {
  const [outcome, provider, idOrReason, metadata, maskedDestination, countryCallingCode] = JSON.parse(
    text,
  ) as Packed;
  // JSON has no undefined: absent fields come back absent, as the first copy had them.
  const delivery =
    (outcome === "delivered"
      ? { outcome, provider, transactionId: idOrReason, metadata }
      : { outcome, reason: idOrReason, ...(provider == null ? {} : { provider }), metadata }) as Delivery;
  return { delivery, maskedDestination, ...(countryCallingCode == null ? {} : { countryCallingCode }) };
}
