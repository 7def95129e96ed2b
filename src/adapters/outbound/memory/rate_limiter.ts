import type { RateLimit } from "../../../domain/abuse_policy.ts";
import type { RateLimiter } from "../../../domain/ports.ts";
import { createBoundedMap } from "./bounded_map.ts";

/** Settings for `createMemoryRateLimiter`. */
export interface MemoryRateLimiterOptions {
  readonly now?: () => number;
  /** Subjects tracked at once; the first counted go first. Default 100,000. */
  readonly maxKeys?: number;
}

/**
 * Exact sliding windows in one process: each subject keeps the times of its recent passcodes (at most `max` of
 * them), so a limit of 5 per 15 minutes means exactly that, at any moment, with no fixed-window edge to game.
 */
export function createMemoryRateLimiter(
  options: MemoryRateLimiterOptions = {},
): RateLimiter & { size(): number } {
  const now = options.now ?? Date.now;
  const windows = createBoundedMap<number[]>(options.maxKeys ?? 100_000);
  return {
    take(key: string, limit: RateLimit): Promise<boolean> {
      const at = now();
      const recent = (windows.get(key) ?? []).filter((time) => time > at - limit.windowMs);
      const allowed = recent.length < limit.max;
      if (allowed) recent.push(at);
      windows.set(key, recent);
      return Promise.resolve(allowed);
    },
    size: () => windows.size,
  };
}
