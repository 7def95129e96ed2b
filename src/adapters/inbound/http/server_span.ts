import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { headersGetter, type HttpSpans, runInSpan, tracer } from "../../tracing.ts";
import type { Route } from "./router.ts";

/**
 * Traces a route as an HTTP SERVER span that continues the caller's W3C `traceparent` and stays active while the
 * handler runs, so the handler's own spans and attributes join it. When Deno's runtime already makes the SERVER
 * span, this only names the route on it.
 */
export function traceRoute(route: Route, httpSpans: HttpSpans): Route {
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
    handler(request) {
      const parent = propagation.extract(ROOT_CONTEXT, request.headers, headersGetter);
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
