import type { JSONWebKeySet, JWTVerifyGetKey } from "jose";

/** The jose library, loaded only when OAuth is configured. */
export type Jose = typeof import("jose");

/** Settings for `createIssuerKeys`. */
export interface IssuerKeysOptions {
  readonly jose: Jose;
  readonly jwksUri: string;
  readonly fetch: typeof fetch;
  /** Each fetch gives up after this. */
  readonly timeoutMs: number;
  /** Least time between two fetches, whatever asks for them and whether the last one worked. */
  readonly cooldownMs: number;
  /** Keys older than this are fetched again (in the background; the old ones keep serving). */
  readonly maxAgeMs: number;
  readonly now?: () => number;
  /** Told of each fetch that failed; fetches are at most one per cooldown, so this is too. */
  readonly onOutage?: (detail: string) => void;
}

/** The issuer's signing keys, as jose's `jwtVerify` asks for them. */
export interface IssuerKeys {
  readonly getKey: JWTVerifyGetKey;
  /** Fetches the keys now; true when they were fetched. */
  load(): Promise<boolean>;
  /** True once keys were fetched: they keep serving through a later outage. */
  hasKeys(): boolean;
}

/** Thrown when no key was ever fetched: the issuer's key endpoint is unreachable, not the token at fault. */
export class KeysUnavailable extends Error {
  override readonly name = "KeysUnavailable";
}

/**
 * The last good keys, kept through an outage of the key endpoint. Every fetch, asked for by an unknown `kid`,
 * by keys grown old, or by a request while there are none, waits for the cooldown, and concurrent requests
 * share one fetch: a flood of forged tokens costs the issuer one request per cooldown at most, in every state.
 */
export function createIssuerKeys(options: IssuerKeysOptions): IssuerKeys {
  const now = options.now ?? Date.now;
  let local: JWTVerifyGetKey | undefined;
  let fetchedAt = -Infinity;
  let attemptedAt = -Infinity;
  let inFlight: Promise<boolean> | undefined;

  async function fetchKeys(): Promise<boolean> {
    try {
      const response = await options.fetch(options.jwksUri, {
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const jwks = response.ok ? await response.json() as JSONWebKeySet : await response.body?.cancel();
      if (!Array.isArray(jwks?.keys)) {
        options.onOutage?.(`the key endpoint answered ${response.status}`);
        return false;
      }
      local = options.jose.createLocalJWKSet(jwks);
      fetchedAt = now();
      return true;
    } catch (error) {
      options.onOutage?.(`the key endpoint is unreachable (${(error as Error).name})`);
      return false;
    }
  }

  // A fetch if the cooldown allows one (shared with any already under way); false when it does not, or fails.
  function refresh(): Promise<boolean> {
    if (inFlight !== undefined) return inFlight;
    if (now() - attemptedAt < options.cooldownMs) return Promise.resolve(false);
    attemptedAt = now();
    inFlight = fetchKeys().finally(() => (inFlight = undefined));
    return inFlight;
  }

  return {
    load: refresh,
    hasKeys: () => local !== undefined,
    async getKey(header, token) {
      if (local === undefined && !(await refresh())) throw new KeysUnavailable("no signing keys yet");
      if (now() - fetchedAt > options.maxAgeMs) void refresh();
      try {
        return await local!(header, token);
      } catch (error) {
        // An unknown kid may be a rotated key: look once, if the cooldown allows.
        if (error instanceof options.jose.errors.JWKSNoMatchingKey && await refresh()) {
          return await local!(header, token);
        }
        throw error;
      }
    },
  };
}
