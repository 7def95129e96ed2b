import { errorResponse, jsonResponse } from "./json_response.ts";

/** A request handler as `Deno.serve` calls it. */
export type Handler = (request: Request) => Response | Promise<Response>;

/** One path and method: an exact path, or, ending in `/*`, every path below it. */
export interface Route {
  readonly method: string;
  readonly path: string;
  readonly handler: Handler;
}

/**
 * Dispatches on paths: a known path with another method is a 405 with `Allow`, anything else a JSON 404.
 * Exact paths take one map lookup, so the hook's hot path never scans the few prefix routes.
 */
export function createRouter(routes: readonly Route[]): Handler {
  const byPath = new Map<string, Map<string, Handler>>();
  const prefixes: string[] = [];
  for (const route of routes) {
    const methods = byPath.get(route.path) ?? new Map<string, Handler>();
    methods.set(route.method, route.handler);
    byPath.set(route.path, methods);
    if (route.path.endsWith("/*")) prefixes.push(route.path.slice(0, -1));
  }
  return (request) => {
    const path = pathnameOf(request.url);
    const below = byPath.has(path) ? undefined : prefixes.find((prefix) => path.startsWith(prefix));
    const methods = byPath.get(below === undefined ? path : `${below}*`);
    if (methods === undefined) return errorResponse(404, "not_found", "No such endpoint");
    const handler = methods.get(request.method);
    if (handler !== undefined) return handler(request);
    const allow = [...methods.keys()].join(", ");
    return errorResponse(405, "method_not_allowed", `Use ${allow} on this path`, { headers: { allow } });
  };
}

/** The liveness answer, with the running version so operators can tell what is deployed. */
export function healthRoute(details: Readonly<Record<string, string>>): Route {
  return { method: "GET", path: "/healthz", handler: () => jsonResponse({ status: "ok", ...details }) };
}

// Deno hands handlers absolute URLs; slicing is much cheaper than building a URL object per request.
function pathnameOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}
