import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { AuthDecision, HookAuthenticator } from "../okta_hook/telephony_hook.ts";

const ACCEPTED: AuthDecision = { ok: true };
const WRONG_SECRET: AuthDecision = { ok: false, reason: "wrong_secret" };

/** Settings for `createHeaderSecretAuth`. */
export interface HeaderSecretOptions {
  /** The header Okta sends the secret in, e.g. `authorization` or a custom name. */
  readonly headerName: string;
  /** The current secret first; during a rotation, the previous one too. */
  readonly secrets: readonly string[];
}

/**
 * Okta's header authentication: the admin's chosen header must carry one of the configured secrets.
 * Values are compared as HMAC digests in constant time, so neither content nor length leaks through timing.
 */
export function createHeaderSecretAuth(options: HeaderSecretOptions): HookAuthenticator {
  if (options.secrets.length === 0) throw new Error("header auth needs at least one secret");
  const key = randomBytes(32);
  const digest = (value: string) => createHmac("sha256", key).update(value).digest();
  const expected = options.secrets.map(digest);
  const headerName = options.headerName;
  return {
    verify(headers: Headers): AuthDecision {
      const presented = headers.get(headerName);
      if (presented === null) return { ok: false, reason: "no_secret_header" };
      const actual = digest(presented);
      let match = false;
      // Check every secret, without stopping early, so timing does not tell which one matched.
      for (const candidate of expected) match = timingSafeEqual(candidate, actual) || match;
      return match ? ACCEPTED : WRONG_SECRET;
    },
  };
}
