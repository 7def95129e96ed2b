import { jsonResponse } from "./json_response.ts";
import type { Route } from "./router.ts";

/** Something the service needs to do its work; the name is what `/readyz` reports when it is missing. */
export interface ReadinessCheck {
  readonly name: string;
  isReady(): boolean | Promise<boolean>;
}

/** Settings for `readinessRoute`. */
export interface ReadinessOptions {
  /** How long one round of checks answers every probe; default 1 s, so a flood costs a store one read a second. */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

/**
 * `GET /readyz`: 200 `{"status":"ready"}`, or 503 `{"status":"not_ready","reasons":[...]}` while a check fails,
 * so a load balancer sends no traffic to an instance that would fail it. `/healthz` stays the liveness probe.
 */
export function readinessRoute(checks: readonly ReadinessCheck[], options: ReadinessOptions = {}): Route {
  const cacheMs = options.cacheMs ?? 1_000;
  const now = options.now ?? Date.now;
  let checked: { at: number; reasons: Promise<string[]> } | undefined;
  const failing = async () => {
    const results = await Promise.all(checks.map(async (check) => {
      try {
        return await check.isReady() ? undefined : check.name;
      } catch {
        return check.name;
      }
    }));
    return results.filter((name): name is string => name !== undefined);
  };
  return {
    method: "GET",
    path: "/readyz",
    async handler() {
      if (checked === undefined || now() - checked.at >= cacheMs) checked = { at: now(), reasons: failing() };
      const reasons = await checked.reasons;
      return reasons.length === 0
        ? jsonResponse({ status: "ready" })
        : jsonResponse({ status: "not_ready", reasons }, 503);
    },
  };
}
