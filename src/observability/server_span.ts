import type { Attributes } from "@opentelemetry/api";
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "./otel_api.ts";
import { headersGetter, type HttpSpans, runInSpan, traceParentOf, tracer } from "./tracing.ts";
import { pathnameOf, type RequestContext, type Route } from "../http/router.ts";

/** Whether a request's headers prove it comes from the route's real caller. */
export type TrustsCaller = (headers: Headers) => boolean | Promise<boolean>;

/**
 * Traces a route as an HTTP SERVER span that stays active while the handler runs, so the handler's own spans and
 * attributes join it. The caller's W3C `traceparent` is continued only when `trusts` accepts the request: an
 * unauthenticated caller gets a trace of our own, never one whose id (or sampling) it chose. When Deno's runtime
 * already makes the SERVER span, this only names the route on it.
 */
export function traceRoute(route: Route, httpSpans: HttpSpans, trusts?: TrustsCaller): Route {
  const name = `${route.method} ${route.path}`;
  if (httpSpans === "runtime") {
    return {
      ...route,
      async handler(request, context) {
        const span = trace.getActiveSpan();
        span?.updateName(name);
        span?.setAttribute("http.route", route.path);
        context.traceParent = traceParentOf(span);
        const response = await route.handler(request, context);
        span?.setAttributes(context.facts);
        return response;
      },
    };
  }
  return {
    ...route,
    async handler(request, client) {
      const trusted = trusts === undefined || await trusts(request.headers);
      const parent = trusted
        ? propagation.extract(ROOT_CONTEXT, request.headers, headersGetter)
        : ROOT_CONTEXT;
      // The attributes a sampler may look at go in at the start; the rest only when the span is recorded.
      const span = tracer.startSpan(name, {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": request.method, "http.route": route.path },
      }, parent);
      if (span.isRecording()) span.setAttributes(serverAttributes(request, client));
      client.traceParent = traceParentOf(span);
      return runInSpan(span, parent, async () => {
        const response = await route.handler(request, client);
        span.setAttributes(client.facts);
        span.setAttribute("http.response.status_code", response.status);
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        return response;
      });
    },
  };
}

// The HTTP server conventions' attributes that Deno exposes. `network.protocol.version` is not among them:
// `Deno.serve` does not tell a handler whether the request came over HTTP/1.1 or HTTP/2.
function serverAttributes(request: Request, client: RequestContext): Attributes {
  const attributes: Attributes = {
    "url.path": pathnameOf(request.url),
    "url.scheme": client.scheme,
  };
  const host = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(request.headers.get("host") ?? "");
  if (host?.[1]) {
    attributes["server.address"] = host[1].replace(/^\[|\]$/g, "");
    attributes["server.port"] = host[2] ? Number(host[2]) : client.scheme === "https" ? 443 : 80;
  }
  if (client.address !== undefined) attributes["client.address"] = client.address;
  const userAgent = request.headers.get("user-agent");
  if (userAgent !== null) attributes["user_agent.original"] = userAgent.slice(0, 256);
  return attributes;
}
