import type { DeliveryAttempt } from "../domain/delivery.ts";
import type { Delivery } from "../domain/delivery.ts";
import type { Claim, Deadline, ReplayStore } from "../domain/ports.ts";
import { createSlotTable } from "./slot_table.ts";

/** Settings for `createMemoryReplayStore`. */
export interface MemoryReplayOptions {
  /** How long an id is remembered from its first copy. Default 10 minutes: twice an Okta passcode's life. */
  readonly ttlMs?: number;
  /** Memory for remembered ids, in bytes (default 128 MiB), allocated at the start. */
  readonly budgetBytes?: number;
  readonly now?: () => number;
  /** Told when the budget makes an id go before its time: a copy arriving later would be sent again. */
  readonly onEarlyEviction?: () => void;
}

/** The replay store's memory unless told otherwise. */
export const DEFAULT_REPLAY_BUDGET_BYTES = 128 * 1024 * 1024;
/** Okta's longest event id, as the request schema bounds it. */
const MAX_EVENT_ID_BYTES = 128;
// Payload: the packed result's length (u16; 0 while the first copy is in flight), then its UTF-8 bytes. A
// delivered SMS packs to about 100 bytes; a longer result is kept on the side for as long as its slot.
const PACKED_BYTES = 158;
/** Bytes one remembered id takes, index included: 320. */
export const BYTES_PER_REPLAY_ENTRY = Math.ceil((10 + MAX_EVENT_ID_BYTES + 2 + PACKED_BYTES) / 8) * 8 + 16;

/**
 * The replay store of one process: every id is remembered for `ttlMs` from its first copy, at any request rate,
 * as long as the byte budget holds them (128 MiB: about 419,000 ids). The ids and results live in one
 * ArrayBuffer allocated at the start (see `slot_table.ts`), so memory does not grow with traffic. Forgotten on
 * restart.
 */
export function createMemoryReplayStore(
  options: MemoryReplayOptions = {},
): ReplayStore & { size(): number; inFlight(): number } {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  // Per slot, only while it needs them: copies waiting for the first, and results too long for the slot.
  const waiters = new Map<number, ((result: DeliveryAttempt | undefined) => void)[]>();
  const inFlight = new Set<number>();
  const oversized = new Map<number, string>();
  const table = createSlotTable({
    budgetBytes: options.budgetBytes ?? DEFAULT_REPLAY_BUDGET_BYTES,
    maxKeyBytes: MAX_EVENT_ID_BYTES,
    payloadBytes: 2 + PACKED_BYTES,
    now,
    onEarlyEviction: options.onEarlyEviction,
    // An id that goes while in flight lets its waiting copies go: they may then deliver themselves.
    onRemove: (slot) => {
      inFlight.delete(slot);
      oversized.delete(slot);
      settle(slot, undefined);
    },
  });

  function settle(slot: number, result: DeliveryAttempt | undefined): void {
    waiters.get(slot)?.forEach((wake) => wake(result));
    waiters.delete(slot);
  }

  function waitFor(slot: number, signal: AbortSignal): Promise<DeliveryAttempt | undefined> {
    return new Promise((resolve) => {
      const stop = () => resolve(undefined);
      if (signal.aborted) return stop();
      signal.addEventListener("abort", stop, { once: true });
      const waiting = waiters.get(slot) ?? [];
      waiting.push((result) => {
        signal.removeEventListener("abort", stop);
        resolve(result);
      });
      waiters.set(slot, waiting);
    });
  }

  function store(slot: number, attempt: DeliveryAttempt): void {
    const at = table.payloadOffset(slot);
    const packed = pack(attempt);
    const { read, written } = encoder.encodeInto(packed, table.bytes.subarray(at + 2, at + 2 + PACKED_BYTES));
    if (read === packed.length) {
      table.view.setUint16(at, written);
    } else {
      oversized.set(slot, packed);
      table.view.setUint16(at, 0xffff);
    }
  }

  function stored(slot: number): DeliveryAttempt | undefined {
    const at = table.payloadOffset(slot);
    const length = table.view.getUint16(at);
    if (length === 0) return undefined;
    if (length === 0xffff) return unpack(oversized.get(slot)!);
    return unpack(decoder.decode(table.bytes.subarray(at + 2, at + 2 + length)));
  }

  return {
    async claim(eventId: string, deadline: Deadline): Promise<Claim> {
      for (;;) {
        const slot = table.find(eventId);
        if (slot < 0) {
          const claimed = table.claim(eventId, now() + ttlMs);
          if (claimed >= 0) inFlight.add(claimed);
          return { kind: "claimed" };
        }
        const attempt = stored(slot);
        if (attempt !== undefined) return { kind: "replay", attempt };
        const result = await waitFor(slot, deadline.signal);
        if (result !== undefined) return { kind: "replay", attempt: result };
        if (deadline.signal.aborted) return { kind: "in_flight" };
        // The owner released the id without a result: this copy may deliver it.
      }
    },
    complete(eventId: string, attempt: DeliveryAttempt): Promise<void> {
      const slot = table.find(eventId);
      if (slot >= 0) {
        store(slot, attempt);
        inFlight.delete(slot);
        settle(slot, attempt);
      }
      return Promise.resolve();
    },
    release(eventId: string): Promise<void> {
      const slot = table.find(eventId);
      if (slot >= 0) table.remove(slot);
      return Promise.resolve();
    },
    size: () => table.size,
    inFlight: () => inFlight.size,
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

// One short string per result: positions instead of names.
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
