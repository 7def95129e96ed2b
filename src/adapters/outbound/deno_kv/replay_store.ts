import type { DeliveryAttempt } from "../../../domain/deliver_otp.ts";
import type { Claim, Deadline, ReplayStore } from "../../../domain/ports.ts";
import { whenUnlocked } from "./locked.ts";

/** Settings for `createKvReplayStore`. */
export interface KvReplayOptions {
  /** How long a result is remembered. Default 10 minutes: twice an Okta passcode's life. */
  readonly ttlMs?: number;
  /** How long a claim without a result holds, so a crashed instance cannot block an id for long. Default 10 s. */
  readonly claimTtlMs?: number;
  /** Told when the store cannot be used; the request then delivers without de-duplication. */
  readonly onStoreError?: (error: unknown) => void;
}

type Stored = { readonly state: "claimed" } | { readonly state: "done"; readonly attempt: DeliveryAttempt };

const PREFIX = ["okta-8x8-telephony-hook", "replay"] as const;

/**
 * The replay store shared by every instance on one Deno KV database (a local file, a remote KV URL, or the
 * database Deno Deploy attaches). A claim is an atomic insert-if-absent; copies that lose the race watch the key
 * until the owner writes its result or their own deadline ends.
 */
export function createKvReplayStore(kv: Deno.Kv, options: KvReplayOptions = {}): ReplayStore {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const claimTtlMs = options.claimTtlMs ?? 10_000;
  const keyOf = (eventId: string) => [...PREFIX, eventId];

  async function tryClaim(key: Deno.KvKey): Promise<boolean> {
    const claimed: Stored = { state: "claimed" };
    const atomic = () =>
      kv.atomic().check({ key, versionstamp: null }).set(key, claimed, { expireIn: claimTtlMs });
    const result = await whenUnlocked(() => atomic().commit());
    return result.ok;
  }

  async function waitForResult(key: Deno.KvKey, deadline: Deadline): Promise<Claim> {
    const changes = kv.watch<[Stored]>([key]).getReader();
    const stop = () => void changes.cancel().catch(() => {});
    deadline.signal.addEventListener("abort", stop, { once: true });
    try {
      while (!deadline.signal.aborted) {
        const next = await changes.read();
        if (next.done) break;
        const stored = next.value[0].value;
        if (stored?.state === "done") return { kind: "replay", attempt: stored.attempt };
        // The owner released the id, or its claim expired: this copy may deliver.
        if (stored === null && await tryClaim(key)) return { kind: "claimed" };
      }
      return { kind: "in_flight" };
    } finally {
      deadline.signal.removeEventListener("abort", stop);
      stop();
    }
  }

  // A store that is down must not stop passcodes: such a request is delivered as if it were the first copy.
  async function orReport<T>(operation: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      options.onStoreError?.(error);
      return fallback;
    }
  }

  return {
    claim(eventId: string, deadline: Deadline): Promise<Claim> {
      const key = keyOf(eventId);
      return orReport(
        async () => (await tryClaim(key)) ? { kind: "claimed" } : await waitForResult(key, deadline),
        { kind: "claimed" },
      );
    },
    complete(eventId: string, attempt: DeliveryAttempt): Promise<void> {
      const done: Stored = { state: "done", attempt };
      return orReport(
        async () => void await whenUnlocked(() => kv.set(keyOf(eventId), done, { expireIn: ttlMs })),
        undefined,
      );
    },
    release(eventId: string): Promise<void> {
      return orReport(() => whenUnlocked(() => kv.delete(keyOf(eventId))), undefined);
    },
  };
}
