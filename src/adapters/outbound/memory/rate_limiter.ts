import type { RateLimit } from "../../../domain/abuse_policy.ts";
import type { RateLimiter } from "../../../domain/ports.ts";
import { sliceLifetimeMs, slicesAt } from "../sliding_window.ts";
import { createExpiringMap, type ExpiringMap } from "./expiring_map.ts";

/** Settings for `createMemoryRateLimiter`. */
export interface MemoryRateLimiterOptions {
  readonly now?: () => number;
  /** Memory for subjects, in bytes (default 160 MiB), shared by every limit. */
  readonly budgetBytes?: number;
  /** Told when the budget makes a subject go before its window ended: its count starts again at zero. */
  readonly onEarlyEviction?: () => void;
}

/** Heap bytes one subject takes at most with a few slices counted (measured by the rate limiter tests). */
export const BYTES_PER_SUBJECT = 256;
/** The subjects' memory unless told otherwise. */
export const DEFAULT_LIMITER_BUDGET_BYTES = 160 * 1024 * 1024;

/** One subject's counts: [slice, count, slice, count, ...], oldest first, only the slices that counted. */
interface Subject {
  expiresAt: number;
  total: number;
  readonly slices: number[];
}

/**
 * Sliding windows in one process, at O(1) time and memory per subject whatever the limit (see
 * `sliding_window.ts` for the precision). A subject is kept until its window has passed, so a limited number
 * stays limited; only the memory budget can end that sooner, and then `onEarlyEviction` is told.
 */
export function createMemoryRateLimiter(
  options: MemoryRateLimiterOptions = {},
): RateLimiter & { size(): number } {
  const now = options.now ?? Date.now;
  const budgetBytes = options.budgetBytes ?? DEFAULT_LIMITER_BUDGET_BYTES;
  const maxEntries = Math.max(1, Math.floor(budgetBytes / BYTES_PER_SUBJECT));
  // One map per window length, so short windows never wait behind long ones to be forgotten.
  const byWindow = new Map<number, ExpiringMap<Subject>>();
  const subjectsFor = (windowMs: number) => {
    let subjects = byWindow.get(windowMs);
    if (subjects === undefined) {
      subjects = createExpiringMap<Subject>({ now, onEarlyEviction: options.onEarlyEviction });
      byWindow.set(windowMs, subjects);
    }
    return subjects;
  };

  // Over budget, the subject due to be forgotten first in the fullest window length goes early.
  function makeRoom(): void {
    let size = 0;
    let fullest: ExpiringMap<Subject> | undefined;
    for (const subjects of byWindow.values()) {
      size += subjects.size;
      if (fullest === undefined || subjects.size > fullest.size) fullest = subjects;
    }
    if (size >= maxEntries) fullest?.evictOldest();
  }

  return {
    take(key: string, limit: RateLimit): Promise<boolean> {
      const at = now();
      const position = slicesAt(at, limit);
      const subjects = subjectsFor(limit.windowMs);
      const expiresAt = position.current * position.width + sliceLifetimeMs(position);
      let subject = subjects.get(key);
      if (subject === undefined) {
        makeRoom();
        // An array literal of the exact size: a first push would reserve room for 17 numbers.
        subject = { expiresAt, total: 0, slices: [position.current, 0] };
        subjects.set(key, subject);
      }
      dropSlicesBefore(subject, position.oldest);
      if (subject.total >= limit.max) return Promise.resolve(false);
      const last = subject.slices.length - 2;
      // `>=`: a clock that stepped back counts in the newest slice rather than out of order.
      if (last >= 0 && subject.slices[last]! >= position.current) subject.slices[last + 1]!++;
      else subject.slices.push(position.current, 1);
      subject.total++;
      subject.expiresAt = Math.max(subject.expiresAt, expiresAt);
      return Promise.resolve(true);
    },
    size: () => [...byWindow.values()].reduce((sum, subjects) => sum + subjects.size, 0),
  };
}

function dropSlicesBefore(subject: Subject, oldest: number): void {
  let drop = 0;
  while (drop < subject.slices.length && subject.slices[drop]! < oldest) {
    subject.total -= subject.slices[drop + 1]!;
    drop += 2;
  }
  if (drop > 0) subject.slices.splice(0, drop);
}
