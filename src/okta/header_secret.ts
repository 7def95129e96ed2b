import type { AuthDecision, HookAuthenticator } from "./telephony_hook.ts";
import { sameInConstantTime } from "../http/constant_time.ts";

const ACCEPTED: AuthDecision = { ok: true };
const WRONG_SECRET: AuthDecision = { ok: false, reason: "wrong_secret" };
const NO_HEADER: AuthDecision = { ok: false, reason: "no_secret_header" };

/** Settings for `createHeaderSecretAuth`. */
export interface HeaderSecretOptions {
  /** The header Okta sends the secret in, e.g. `authorization` or a custom name. */
  readonly headerName: string;
  /** The current secret first; during a rotation, the previous one too. */
  readonly secrets: readonly string[];
}

/**
 * Okta's header authentication: the admin's chosen header must carry one of the configured secrets.
 * Values are compared in constant time: every character of every secret is compared, whatever the presented value
 * is, so timing tells neither how much of it matched, nor its length, nor which secret matched.
 */
export function createHeaderSecretAuth(options: HeaderSecretOptions): HookAuthenticator {
  if (options.secrets.length === 0) throw new Error("header auth needs at least one secret");
  const secrets = [...options.secrets];
  const headerName = options.headerName;
  return {
    verify(headers: Headers): AuthDecision {
      const presented = headers.get(headerName);
      if (presented === null) return NO_HEADER;
      let matches = 0;
      for (const secret of secrets) matches += sameInConstantTime(presented, secret) ? 1 : 0;
      return matches > 0 ? ACCEPTED : WRONG_SECRET;
    },
  };
}
