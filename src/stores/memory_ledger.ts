import type { DeliveryLedger } from "../domain/ports.ts";
import { createBoundedMap } from "./bounded_map.ts";
import {
  applyReceipt,
  type DeliveryRecord,
  type ReceiptResult,
  type ReceiptStatus,
  type SentRecord,
} from "../domain/receipts.ts";

/** Settings for `createMemoryLedger`. */
export interface MemoryLedgerOptions {
  /** How long a sent passcode waits for receipts. Default 48 h, the window 8x8 sends them in. */
  readonly ttlMs?: number;
  /** At most this many sent passcodes are remembered; the oldest go first. Default 50,000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Entry {
  record: DeliveryRecord;
  /** Every state already recorded, so a retried receipt changes nothing. */
  readonly states: Set<string>;
  readonly expiresAt: number;
}

/** How many sent messages the ledger remembers unless told otherwise: two days of a busy tenant's SMS. */
export const DEFAULT_LEDGER_ENTRIES = 50_000;

/** The ledger of one process: receipts reach it only if 8x8 sends them to the instance that sent the SMS. */
export function createMemoryLedger(options: MemoryLedgerOptions = {}): DeliveryLedger {
  const ttlMs = options.ttlMs ?? 48 * 3_600_000;
  const maxEntries = options.maxEntries ?? DEFAULT_LEDGER_ENTRIES;
  const now = options.now ?? Date.now;
  const byEvent = createBoundedMap<string>(maxEntries);
  const byTransaction = createBoundedMap<Entry>(maxEntries);

  const live = (transactionId: string | undefined) => {
    const entry = transactionId === undefined ? undefined : byTransaction.get(transactionId);
    return entry !== undefined && entry.expiresAt > now() ? entry : undefined;
  };

  return {
    remember(sent: SentRecord): Promise<void> {
      byTransaction.set(sent.transactionId, { record: sent, states: new Set(), expiresAt: now() + ttlMs });
      byEvent.set(sent.eventId, sent.transactionId);
      return Promise.resolve();
    },
    recordReceipt(transactionId: string, status: ReceiptStatus, at: number): Promise<ReceiptResult> {
      const entry = live(transactionId);
      if (entry === undefined) return Promise.resolve({ kind: "unknown" });
      const result = applyReceipt(entry.record, (state) => entry.states.has(state), status, at);
      if (result.kind === "recorded") {
        entry.states.add(status.state);
        entry.record = result.record;
      }
      return Promise.resolve(result);
    },
    lookup(eventId: string): Promise<DeliveryRecord | undefined> {
      return Promise.resolve(live(byEvent.get(eventId))?.record);
    },
  };
}
