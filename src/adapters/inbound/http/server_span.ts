import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { headersGetter, type HttpSpans, runInSpan, tracer } from "../../tracing.ts";
import type { Route } from "./router.ts";

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
      handler(request) {
        const span = trace.getActiveSpan();
        span?.updateName(name);
        span?.setAttribute("http.route", route.path);
        return route.handler(request);
      },
    };
  }
  return {
    ...route,
    async handler(request) {
      const trusted = trusts === undefined || await trusts(request.headers);
      const parent = trusted
        ? propagation.extract(ROOT_CONTEXT, request.headers, headersGetter)
        : ROOT_CONTEXT;
      const span = tracer.startSpan(name, {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": request.method, "http.route": route.path, "url.scheme": "http" },
      }, parent);
      return runInSpan(span, parent, async () => {
        const response = await route.handler(request);
        span.setAttribute("http.response.status_code", response.status);
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        return response;
      });
    },
  };
}
