import type { RateLimit } from "../../../domain/abuse_policy.ts";
import type { RateLimiter } from "../../../domain/ports.ts";

/** Settings for `createMemoryRateLimiter`. */
export interface MemoryRateLimiterOptions {
  readonly now?: () => number;
  /** Subjects tracked at once; the least recently counted go first. Default 100,000. */
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
  const maxKeys = options.maxKeys ?? 100_000;
  const windows = new Map<string, number[]>();
  return {
    take(key: string, limit: RateLimit): Promise<boolean> {
      const at = now();
      const recent = (windows.get(key) ?? []).filter((time) => time > at - limit.windowMs);
      const allowed = recent.length < limit.max;
      if (allowed) recent.push(at);
      // Re-inserting keeps the Map in order of last use, so eviction drops the stalest subject.
      windows.delete(key);
      if (recent.length > 0) windows.set(key, recent);
      if (windows.size > maxKeys) windows.delete(windows.keys().next().value!);
      return Promise.resolve(allowed);
    },
    size: () => windows.size,
  };
}
