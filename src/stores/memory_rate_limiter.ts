import type { RateLimit } from "../domain/abuse_rules.ts";
import type { LimitTake, RateLimiter } from "../domain/ports.ts";
import { sliceLifetimeMs, SLICES_PER_WINDOW, slicesAt } from "./sliding_window.ts";
import { createSlotTable } from "./slot_table.ts";

/** Settings for `createMemoryRateLimiter`. */
export interface MemoryRateLimiterOptions {
  readonly now?: () => number;
  /** Memory for subjects, in bytes (default 128 MiB), allocated at the start and shared by every limit. */
  readonly budgetBytes?: number;
  /** Told when the budget makes a subject go before its window ended: its count starts again at zero. */
  readonly onEarlyEviction?: () => void;
}

/** The subjects' memory unless told otherwise. */
export const DEFAULT_LIMITER_BUDGET_BYTES = 128 * 1024 * 1024;
/** The longest subject key: `per_user:` and Okta's longest user id. */
export const MAX_SUBJECT_BYTES = 80;
const RING = SLICES_PER_WINDOW + 1;
// Payload: the newest slice counted (f64), the window's total (u32), then one u32 count per slice of the ring.
const NEWEST = 0;
const TOTAL = 8;
const COUNTS = 12;
/** Bytes one subject takes, index included: 248. */
export const BYTES_PER_SUBJECT = Math.ceil((10 + MAX_SUBJECT_BYTES + COUNTS + 4 * RING) / 8) * 8 + 16;

/**
 * Sliding windows in one process, at O(1) time and memory per subject whatever the limit (see
 * `sliding_window.ts` for the precision). Each subject is a ring of 31 slice counters in a fixed slot of one
 * ArrayBuffer, so memory is the budget, allocated once. A subject is kept until its window has passed, so a
 * limited number stays limited; only the budget can end that sooner, and then `onEarlyEviction` is told.
 */
export function createMemoryRateLimiter(
  options: MemoryRateLimiterOptions = {},
): RateLimiter & { size(): number } {
  const now = options.now ?? Date.now;
  const table = createSlotTable({
    budgetBytes: options.budgetBytes ?? DEFAULT_LIMITER_BUDGET_BYTES,
    maxKeyBytes: MAX_SUBJECT_BYTES,
    payloadBytes: COUNTS + 4 * RING,
    now,
    onEarlyEviction: options.onEarlyEviction,
  });
  const { view } = table;

  // The slot of `key` with its window moved to now, and whether it has room; -1 for a key too long to keep.
  function prepare(key: string, limit: RateLimit): { slot: number; room: boolean; expiresAt: number } {
    const position = slicesAt(now(), limit);
    const expiresAt = (position.current + 1) * position.width + sliceLifetimeMs(position);
    let slot = table.find(key);
    if (slot < 0) {
      slot = table.claim(key, expiresAt);
      // A key longer than any Okta user id: not worth memory, and not a real subject.
      if (slot < 0) return { slot, room: true, expiresAt };
    } else {
      table.touch(slot);
    }
    const at = table.payloadOffset(slot);
    let newest = view.getFloat64(at + NEWEST);
    let total = view.getUint32(at + TOTAL);
    // Forget the slices that have left the window since the newest counted one (at most the whole ring).
    const from = Math.max(newest + 1, position.current - RING + 1);
    for (let slice = from; slice <= position.current; slice++) {
      const count = at + COUNTS + 4 * (slice % RING);
      total -= view.getUint32(count);
      view.setUint32(count, 0);
    }
    newest = Math.max(newest, position.current); // a clock that stepped back counts in the newest slice
    view.setFloat64(at + NEWEST, newest);
    view.setUint32(at + TOTAL, total);
    return { slot, room: total < limit.max, expiresAt };
  }

  function count(key: string, expiresAt: number): void {
    // Found again by its key: with a tiny budget, a later take's new subject may have taken this one's slot.
    const slot = table.find(key);
    if (slot < 0) return;
    const at = table.payloadOffset(slot);
    const newest = view.getFloat64(at + NEWEST);
    const counter = at + COUNTS + 4 * (newest % RING);
    view.setUint32(counter, view.getUint32(counter) + 1);
    view.setUint32(at + TOTAL, view.getUint32(at + TOTAL) + 1);
    table.setExpiresAt(slot, Math.max(table.expiresAt(slot), expiresAt));
  }

  return {
    take(takes: readonly LimitTake[]): Promise<number> {
      // Every limit is looked at before any is counted: one process, nothing can come in between.
      const prepared = takes.map((take) => prepare(take.key, take.limit));
      const full = prepared.findIndex((subject) => !subject.room);
      if (full >= 0) return Promise.resolve(full);
      prepared.forEach(({ slot, expiresAt }, index) => {
        if (slot >= 0) count(takes[index]!.key, expiresAt);
      });
      return Promise.resolve(-1);
    },
    size: () => table.size,
  };
}
