import type { DeliveryLedger } from "../domain/ports.ts";
import {
  applyReceipt,
  type DeliveryRecord,
  type ReceiptResult,
  type ReceiptStatus,
  type SentRecord,
} from "../domain/receipts.ts";
import { whenUnlocked } from "./kv_locked.ts";

/** Settings for `createKvLedger`. */
export interface KvLedgerOptions {
  /** How long a sent passcode waits for receipts. Default 48 h, the window 8x8 sends them in. */
  readonly ttlMs?: number;
}

type Stored = { readonly record: DeliveryRecord; readonly states: readonly string[] };

const PREFIX = ["okta-8x8-telephony-hook", "ledger"] as const;
const MAX_TRIES = 20;

/**
 * The ledger on Deno KV: a receipt reaches the right record whichever instance sent the SMS and whichever receives
 * the receipt. Recording is a compare-and-set on the record, so concurrent retries of one receipt count once.
 */
export function createKvLedger(kv: Deno.Kv, options: KvLedgerOptions = {}): DeliveryLedger {
  const ttlMs = options.ttlMs ?? 48 * 3_600_000;
  const byTransaction = (transactionId: string) => [...PREFIX, "transaction", transactionId];
  const byEvent = (eventId: string) => [...PREFIX, "event", eventId];

  return {
    async remember(sent: SentRecord): Promise<void> {
      const stored: Stored = { record: sent, states: [] };
      await whenUnlocked(() =>
        kv.atomic()
          .set(byTransaction(sent.transactionId), stored, { expireIn: ttlMs })
          .set(byEvent(sent.eventId), sent.transactionId, { expireIn: ttlMs })
          .commit()
      );
    },
    async recordReceipt(transactionId: string, status: ReceiptStatus, at: number): Promise<ReceiptResult> {
      const key = byTransaction(transactionId);
      for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
        const entry = await kv.get<Stored>(key);
        if (entry.value === null) return { kind: "unknown" };
        const { states } = entry.value;
        const result = applyReceipt(entry.value.record, (state) => states.includes(state), status, at);
        if (result.kind !== "recorded") return result;
        const { record } = result;
        const stored: Stored = { record, states: [...entry.value.states, status.state] };
        // Keep the original expiry horizon: receipts do not extend a record's life.
        const expireIn = Math.max(1, record.sentAt + ttlMs - at);
        if ((await whenUnlocked(() => kv.atomic().check(entry).set(key, stored, { expireIn }).commit())).ok) {
          return { kind: "recorded", record };
        }
      }
      throw new Error("the delivery ledger stayed contended");
    },
    async lookup(eventId: string): Promise<DeliveryRecord | undefined> {
      const transactionId = (await kv.get<string>(byEvent(eventId))).value;
      if (transactionId === null) return undefined;
      return (await kv.get<Stored>(byTransaction(transactionId))).value?.record;
    },
  };
}
