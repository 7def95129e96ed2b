import type { JWTPayload } from "jose";
import { createIssuerKeys, type Jose, KeysUnavailable } from "./issuer_keys.ts";
import type { AuthDecision, HookAuthenticator } from "./telephony_hook.ts";

/** Settings for `createOAuthBearerAuth`. */
export interface OAuthBearerOptions {
  /** The Okta custom authorization server, e.g. `https://acme.okta.com/oauth2/default`. */
  readonly issuer: string;
  readonly audience: string;
  /** When set, the token's `scp` must contain it. */
  readonly scope?: string;
  /** When set, the token's `cid` must be it. */
  readonly clientId?: string;
  /** Tolerated clock difference for `exp`, `nbf` and `iat`. Default 30 s. */
  readonly clockToleranceSeconds?: number;
  /** Least time between two key fetches caused by unknown `kid`s. Default 30 s. */
  readonly refetchCooldownMs?: number;
  /** Each metadata or key fetch gives up after this, to stay inside Okta's 3 s. Default 1,000 ms. */
  readonly fetchTimeoutMs?: number;
  /** Told how key discovery went; messages hold URLs and error names only. */
  readonly onDiscovery?: (outcome: { ok: boolean; jwksUri: string; detail?: string }) => void;
  /** Told of each failed key fetch after start (at most one per cooldown): the last good keys keep serving. */
  readonly onKeysOutage?: (outcome: { jwksUri: string; detail: string }) => void;
  readonly fetch?: typeof fetch;
}

/** The authenticator, plus `ready`, which settles once the issuer's keys were fetched (or could not be). */
export interface OAuthBearerAuth extends HookAuthenticator {
  readonly ready: Promise<void>;
  /** True once the issuer's keys were fetched; while false, asks for them again (the cooldown permitting). */
  hasKeys(): boolean;
}

/**
 * Okta's OAuth 2.0 hook authentication: Okta sends `Authorization: Bearer <JWT>` from a custom authorization
 * server. The token must be RS256-signed by a key in the issuer's JWKS (found through its metadata), for the
 * configured audience, in date, and carry the configured scope and client id. `alg: none` and HMAC tokens fail
 * because only RS256 is accepted. Keys are cached and the last good ones keep serving through an outage of the
 * key endpoint; every fetch waits for the cooldown (see `issuer_keys.ts`), so a flood of bad tokens cannot make
 * the service hammer Okta, while a rotated key is picked up without a restart.
 */
export function createOAuthBearerAuth(options: OAuthBearerOptions): OAuthBearerAuth {
  const issuer = options.issuer.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const timeoutDuration = options.fetchTimeoutMs ?? 1_000;

  let started = false;
  // jose is loaded only here, when OAuth is configured: a service with a shared secret never imports it.
  const loadingJose: Promise<Jose> = import("jose");
  const discovered = discoverJwksUri(issuer, doFetch, timeoutDuration).then(async (found) => {
    const jose = await loadingJose;
    const keys = createIssuerKeys({
      jose,
      jwksUri: found.jwksUri,
      fetch: doFetch,
      timeoutMs: timeoutDuration,
      cooldownMs: options.refetchCooldownMs ?? 30_000,
      maxAgeMs: 10 * 60_000,
      onOutage: (detail) => {
        if (started) options.onKeysOutage?.({ jwksUri: found.jwksUri, detail });
      },
    });
    return { ...found, keys, jose };
  });
  // Warm the key cache at start, so the first sign-in does not pay for it, and say how it went.
  const ready = discovered.then(async ({ keys, jwksUri, detail }) => {
    const loaded = await keys.load();
    started = true;
    if (loaded) options.onDiscovery?.({ ok: detail === undefined, jwksUri, detail });
    else options.onDiscovery?.({ ok: false, jwksUri, detail: "keys not fetched" });
  });

  let loadedKeys: { hasKeys(): boolean; load(): Promise<boolean> } | undefined;
  void discovered.then(({ keys }) => (loadedKeys = keys));

  return {
    ready,
    hasKeys() {
      if (loadedKeys?.hasKeys()) return true;
      void loadedKeys?.load();
      return false;
    },
    async verify(headers: Headers): Promise<AuthDecision> {
      // RFC 9110: the scheme is case-insensitive.
      const match = /^Bearer +([\w-]+\.[\w-]*\.[\w-]*)$/i.exec(headers.get("authorization") ?? "");
      if (match === null) return { ok: false, reason: "no_bearer_token" };
      const { keys, jose } = await discovered;
      let payload: JWTPayload;
      const clockTolerance = options.clockToleranceSeconds ?? 30;
      try {
        ({ payload } = await jose.jwtVerify(match[1]!, keys.getKey, {
          issuer,
          audience: options.audience,
          algorithms: ["RS256"],
          clockTolerance,
          requiredClaims: ["exp"],
        }));
      } catch (error) {
        return { ok: false, reason: tokenProblem(error, jose) };
      }
      // jose checks `iat` only against a maximum age; a token issued in the future is as wrong as `nbf` ahead.
      if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + clockTolerance) {
        return { ok: false, reason: "bad_claim_iat" };
      }
      if (options.scope !== undefined && !scopesOf(payload).includes(options.scope)) {
        return { ok: false, reason: "missing_scope" };
      }
      if (options.clientId !== undefined && payload.cid !== options.clientId) {
        return { ok: false, reason: "wrong_client" };
      }
      return { ok: true };
    },
  };
}

// Okta publishes its JWKS location in the authorization server's metadata; `{issuer}/v1/keys` is its usual place.
async function discoverJwksUri(issuer: string, doFetch: typeof fetch, timeoutMs: number) {
  const fallback = `${issuer}/v1/keys`;
  try {
    const response = await doFetch(`${issuer}/.well-known/oauth-authorization-server`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const metadata = response.ok ? await response.json() : await response.body?.cancel();
    if (typeof metadata?.jwks_uri === "string") return { jwksUri: metadata.jwks_uri as string };
    return { jwksUri: fallback, detail: `metadata answered ${response.status}; using ${fallback}` };
  } catch (error) {
    return {
      jwksUri: fallback,
      detail: `metadata not reachable (${(error as Error).name}); using ${fallback}`,
    };
  }
}

function scopesOf(payload: JWTPayload): string[] {
  const scp = payload.scp ?? payload.scope;
  if (Array.isArray(scp)) return scp.map(String);
  return typeof scp === "string" ? scp.split(" ") : [];
}

// Stable, token-free reasons for the log line of a refused request.
function tokenProblem(error: unknown, { errors }: Jose): string {
  if (error instanceof KeysUnavailable) return "keys_unavailable";
  if (error instanceof errors.JWTExpired) return "token_expired";
  if (error instanceof errors.JWTClaimValidationFailed) return `bad_claim_${error.claim}`;
  if (error instanceof errors.JWKSNoMatchingKey) return "unknown_key";
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm_not_allowed";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (error instanceof errors.JWKSTimeout) return "keys_unreachable";
  return "malformed_token";
}
