import { createHmac } from "node:crypto";
import type { RateLimit } from "../../../domain/abuse_policy.ts";
import type { RateLimiter } from "../../../domain/ports.ts";
import { whenUnlocked } from "./locked.ts";

/** Settings for `createKvRateLimiter`. */
export interface KvRateLimiterOptions {
  /** Keys subjects (phone numbers, user ids) with HMAC-SHA-256, so the database never holds a phone number. */
  readonly subjectKey: string;
  readonly now?: () => number;
  /** Told when the store cannot be used; the passcode is then let through (see below). */
  readonly onStoreError?: (error: unknown) => void;
}

const PREFIX = ["okta-8x8-telephony-hook", "rate"] as const;
const MAX_TRIES = 20;

/**
 * Sliding windows shared by every instance on one Deno KV database. A count is an optimistic transaction on the
 * subject's list of recent times: read, check, write only if nobody wrote in between, else try again.
 * If the store cannot be read or written, the passcode goes through: locking every user out because a database
 * is down would be worse than a short gap in the limits.
 */
export function createKvRateLimiter(kv: Deno.Kv, options: KvRateLimiterOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const keyOf = (
    subject: string,
  ) => [...PREFIX, createHmac("sha256", options.subjectKey).update(subject).digest("hex")];

  async function tryTake(key: Deno.KvKey, limit: RateLimit): Promise<boolean | "retry"> {
    const entry = await kv.get<number[]>(key);
    const at = now();
    const recent = (entry.value ?? []).filter((time) => time > at - limit.windowMs);
    if (recent.length >= limit.max) return false;
    const result = await kv.atomic().check(entry).set(key, [...recent, at], { expireIn: limit.windowMs })
      .commit();
    return result.ok || "retry";
  }

  return {
    async take(subject: string, limit: RateLimit): Promise<boolean> {
      const key = keyOf(subject);
      try {
        for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
          const taken = await whenUnlocked(() => tryTake(key, limit));
          if (taken !== "retry") return taken;
        }
        throw new Error("the rate limit store stayed contended");
      } catch (error) {
        options.onStoreError?.(error);
        return true;
      }
    },
  };
}
