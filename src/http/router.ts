import type { Logger } from "../observability/json_logger.ts";
import { errorResponse, jsonResponse } from "./json_response.ts";

/** What a handler knows of its request besides the request itself, and what it tells the tracing around it. */
export interface RequestContext {
  /** The caller's IP address: the socket's peer, or with a trusted proxy the address it forwarded. */
  readonly address?: string;
  /** `https` when a trusted proxy says the caller used TLS. */
  readonly scheme: "http" | "https";
  /** Facts a handler learns (Okta's event id, say) for the request's SERVER span; the tracing records them. */
  readonly facts: Record<string, string | number | boolean>;
  /** The W3C `traceparent` of the request's SERVER span, set by the tracing when there is one. */
  traceParent?: string;
}

/** A request handler as the router calls it. */
export type Handler = (request: Request, context: RequestContext) => Response | Promise<Response>;

/** One request this service answered, for the server duration histogram. */
export interface ServerRequest {
  readonly method: string;
  /** The matched route's path template; absent for a 404. */
  readonly route?: string;
  readonly status: number;
  readonly scheme: "http" | "https";
}

/** What `Deno.serve` calls: the router's entry point. */
export type ServeHandler = (request: Request, info?: Deno.ServeHandlerInfo) => Promise<Response>;

/** One path and method: an exact path, or, ending in `/*`, every path below it. */
export interface Route {
  readonly method: string;
  readonly path: string;
  readonly handler: Handler;
}

/** What the router does besides dispatching. */
export interface RouterOptions {
  /** Believe `X-Forwarded-For` and `X-Forwarded-Proto`: only behind a proxy that sets them. */
  readonly trustProxy?: boolean;
  /** Times every answered request. */
  readonly metrics?: { serverRequest(request: ServerRequest, seconds: number): void };
  /** Where 404 and 405 refusals are logged, with the caller's address. */
  readonly logger?: Logger;
}

/**
 * Dispatches on paths: a known path with another method is a 405 with `Allow`, anything else a JSON 404.
 * Exact paths take one map lookup, so the hook's hot path never scans the few prefix routes.
 */
export function createRouter(routes: readonly Route[], options: RouterOptions = {}): ServeHandler {
  const byPath = new Map<string, Map<string, Handler>>();
  const prefixes: string[] = [];
  for (const route of routes) {
    const methods = byPath.get(route.path) ?? new Map<string, Handler>();
    methods.set(route.method, route.handler);
    byPath.set(route.path, methods);
    if (route.path.endsWith("/*")) prefixes.push(route.path.slice(0, -1));
  }
  const { metrics, logger, trustProxy = false } = options;

  function refuse(request: Request, client: RequestContext, path: string, response: Response): Response {
    logger?.warn("request_refused", {
      status: response.status,
      method: request.method.slice(0, 16),
      path: path.slice(0, 128),
      client: client.address,
    });
    return response;
  }

  return async (request, info) => {
    const started = performance.now();
    const client: RequestContext = info === undefined
      ? { scheme: "http", facts: {} }
      : clientOf(request, info, trustProxy);
    const path = pathnameOf(request.url);
    const below = byPath.has(path) ? undefined : prefixes.find((prefix) => path.startsWith(prefix));
    const route = below === undefined ? path : `${below}*`;
    const methods = byPath.get(route);
    let response: Response;
    let matched: string | undefined;
    if (methods === undefined) {
      response = refuse(request, client, path, errorResponse(404, "not_found", "No such endpoint"));
    } else {
      matched = route;
      const handler = methods.get(request.method);
      if (handler !== undefined) response = await handler(request, client);
      else {
        const allow = [...methods.keys()].join(", ");
        const refusal = errorResponse(405, "method_not_allowed", `Use ${allow} on this path`, {
          headers: { allow },
        });
        response = refuse(request, client, path, refusal);
      }
    }
    metrics?.serverRequest(
      { method: request.method, route: matched, status: response.status, scheme: client.scheme },
      (performance.now() - started) / 1000,
    );
    return response;
  };
}

/** The liveness answer, with the running version so operators can tell what is deployed. */
export function healthRoute(details: Readonly<Record<string, string>>): Route {
  return { method: "GET", path: "/healthz", handler: () => jsonResponse({ status: "ok", ...details }) };
}

/**
 * The caller as the socket shows it, or, behind a trusted proxy, as the proxy says: the last `X-Forwarded-For`
 * entry is the one the proxy itself added (earlier ones are whatever the caller sent), and `X-Forwarded-Proto`
 * says whether the caller used TLS. Read only when asked: a delivery with tracing off never needs it.
 */
function clientOf(request: Request, info: Deno.ServeHandlerInfo, trustProxy: boolean): RequestContext {
  return new RequestClient(request, info, trustProxy);
}

class RequestClient implements RequestContext {
  readonly facts: Record<string, string | number | boolean> = {};
  traceParent?: string;
  #address?: string | null;
  #scheme?: "http" | "https";
  constructor(
    private readonly request: Request,
    private readonly info: Deno.ServeHandlerInfo,
    private readonly trustProxy: boolean,
  ) {}

  get address(): string | undefined {
    if (this.#address === undefined) {
      const forwardedFor = this.trustProxy ? this.request.headers.get("x-forwarded-for") : null;
      const last = forwardedFor?.slice(forwardedFor.lastIndexOf(",") + 1).trim();
      const peer = this.info.remoteAddr;
      this.#address = last
        ? last.slice(0, 64)
        : peer.transport === "tcp" || peer.transport === "udp"
        ? peer.hostname
        : null;
    }
    return this.#address ?? undefined;
  }

  get scheme(): "http" | "https" {
    if (this.#scheme === undefined) {
      const proto = this.trustProxy ? this.request.headers.get("x-forwarded-proto") : null;
      this.#scheme = proto?.split(",")[0]?.trim().toLowerCase() === "https" ? "https" : "http";
    }
    return this.#scheme;
  }
}

// Deno hands handlers absolute URLs; slicing is much cheaper than building a URL object per request.
export function pathnameOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}
