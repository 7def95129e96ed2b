// The rate-limit algorithm both limiter stores share: a sliding window kept as a fixed number of counters.
import type { RateLimit } from "../domain/abuse_rules.ts";

/**
 * Counters per window. A window of W is counted in slices of W/30; a request looks at its own slice and the 30
 * before it, a span from W to W + W/30 long that always covers the last W. So no more than the limit ever
 * passes in any W, and a slot frees at most W/30 later than an exact sliding window would free it.
 */
export const SLICES_PER_WINDOW = 30;

/** Where a moment falls: its slice's number, and the oldest slice that still counts. */
export interface SlicePosition {
  /** Milliseconds per slice. */
  readonly width: number;
  readonly current: number;
  readonly oldest: number;
}

/** The slices that count for a request at `at` under `limit`. */
export function slicesAt(at: number, limit: RateLimit): SlicePosition {
  const width = Math.max(1, Math.ceil(limit.windowMs / SLICES_PER_WINDOW));
  const current = Math.floor(at / width);
  return { width, current, oldest: current - SLICES_PER_WINDOW };
}

/** How long a slice's counter must be kept: until no later request counts it. */
export function sliceLifetimeMs(position: SlicePosition): number {
  return (SLICES_PER_WINDOW + 2) * position.width;
}
