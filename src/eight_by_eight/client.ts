import type { Span } from "@opentelemetry/api";
import { context, SpanKind } from "../observability/otel_api.ts";
import type { Delivery } from "../domain/delivery.ts";
import type { Deadline } from "../domain/ports.ts";
import {
  type HttpSpans,
  isNoopSpan,
  markFailed,
  runInSpan,
  traceHeaders,
  tracer,
} from "../observability/tracing.ts";
import { type Classified, classifyFetchError, EIGHT_BY_EIGHT, unknown } from "./classify.ts";
import { failed } from "../domain/delivery.ts";
import { readStreamWithin } from "../http/bounded_read.ts";
import { createPooledClient, type HttpAnswer, type HttpPost } from "../http/pooled_client.ts";
import type { ClientRequest } from "../observability/metrics.ts";

/** The most of an 8x8 answer that is read: its answers are a few hundred bytes. */
export const MAX_ANSWER_BYTES = 64 * 1024;

// Sends one POST to the client's URL and reads the answer, at most `MAX_ANSWER_BYTES` of body.
type Transport = (request: HttpPost) => Promise<HttpAnswer>;

/** When and how often a call is tried again. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  readonly maxAttempts?: number;
  /** First backoff ceiling; it doubles per retry (full jitter). Default 100 ms. */
  readonly baseDelayMs?: number;
  /** An attempt is not started with less time than this left. Default 300 ms. */
  readonly minAttemptMs?: number;
  /** Uniform in [0, 1): the jitter. */
  readonly random?: () => number;
  /** Waits `ms`, or rejects when `signal` aborts first. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** What every 8x8 API call shares: where, who, how it is traced and retried. */
export interface ClientOptions {
  readonly url: string;
  readonly apiKey: string;
  readonly userAgent?: string;
  /**
   * true (default): connections are kept between passcodes by our own client, which never sends a request
   * twice. false: `fetch` on a fresh connection per attempt, which honours `HTTPS_PROXY`.
   */
  readonly keepAlive?: boolean;
  /**
   * Who makes the HTTP CLIENT spans: this adapter (default) or Deno's runtime instrumentation of `fetch`. The
   * runtime only sees `fetch`, so with `keepAlive` this adapter makes them either way.
   */
  readonly httpSpans?: HttpSpans;
  readonly retry?: RetryOptions;
  /** Names the span (when Deno's runtime owns the CLIENT span) and the attribute holding 8x8's id. */
  readonly operation: { readonly name: string; readonly idAttribute: string };
  /** Told of every attempt, with how long it took: the client duration histogram. */
  readonly onAttempt?: (attempt: ClientRequest, seconds: number) => void;
}

/** What every 8x8 sender passes through to the client: credentials, connections, tracing, retries, metrics. */
export type SenderOptions = Pick<
  ClientOptions,
  "apiKey" | "userAgent" | "keepAlive" | "httpSpans" | "retry" | "onAttempt"
>;

/** Posts one JSON body to an 8x8 API and classifies the answer, retrying only when that cannot double a send. */
export type Post = (body: string, deadline: Deadline, classify: ClassifyResponse) => Promise<Delivery>;

/** Reads one HTTP answer of a particular 8x8 API. */
export type ClassifyResponse = (response: HttpAnswer, text: string) => Classified;

/**
 * The shared 8x8 client. Each attempt is a CLIENT span carrying the W3C `traceparent` (or, when Deno's runtime
 * traces `fetch`, an INTERNAL span around the runtime's own), with 8x8's id or error code: never a number, a
 * text or the key. Retries use jittered exponential backoff and stay inside the deadline.
 */
export function createEightByEightClient(options: ClientOptions): Post {
  const headers = {
    "authorization": `Bearer ${options.apiKey}`,
    "content-type": "application/json",
    "accept": "application/json",
    "user-agent": options.userAgent ?? "okta-8x8-telephony-hook",
  };
  const keepAlive = options.keepAlive ?? true;
  const send: Transport = keepAlive
    ? createPooledClient(options.url, { maxBodyBytes: MAX_ANSWER_BYTES }).post
    : fetchOnFreshConnection(options.url);
  const ownSpan = keepAlive || (options.httpSpans ?? "service") === "service";
  const { hostname, port, protocol } = new URL(options.url);
  const spanName = ownSpan ? "POST" : options.operation.name;
  const serverPort = Number(port) || (protocol === "https:" ? 443 : 80);
  const spanAttributes = {
    "http.request.method": "POST",
    "server.address": hostname,
    "server.port": serverPort,
    "url.full": options.url,
  };
  const retry = {
    maxAttempts: options.retry?.maxAttempts ?? 3,
    baseDelayMs: options.retry?.baseDelayMs ?? 100,
    minAttemptMs: options.retry?.minAttemptMs ?? 300,
    random: options.retry?.random ?? Math.random,
    sleep: options.retry?.sleep ?? sleep,
  };

  async function post(
    body: string,
    span: Span,
    signal: AbortSignal,
    classify: ClassifyResponse,
    answer: { status?: number },
  ) {
    let response: HttpAnswer;
    try {
      // Deno's runtime injects the trace headers itself when it traces fetch; doing it too would send two.
      const requestHeaders = ownSpan && !isNoopSpan(span) ? { ...headers, ...traceHeaders(span) } : headers;
      response = await send({ headers: requestHeaders, body, signal });
    } catch (error) {
      const classified = classifyFetchError(error, signal);
      const { delivery } = classified;
      if (delivery.outcome !== "delivered") markFailed(span, delivery.reason, error);
      return classified;
    }
    answer.status = response.status;
    // 8x8 never redirects: following one would post the passcode and number to wherever it points.
    if (response.status >= 300 && response.status < 400) return redirectRefused(response, span);
    if (response.body === undefined) {
      // 8x8 answered, so it may have taken the message; but nothing that large is one of its answers.
      return {
        delivery: unknown("unreadable_response", {
          httpStatus: String(response.status),
          error: "answer_too_large",
        }),
        retryable: false,
      };
    }
    span.setAttribute("http.response.status_code", response.status);
    return classify(response, new TextDecoder().decode(response.body));
  }

  function attempt(
    body: string,
    number: number,
    signal: AbortSignal,
    classify: ClassifyResponse,
  ): Promise<Classified> {
    const attributes = number === 0
      ? spanAttributes
      : { ...spanAttributes, "http.request.resend_count": number };
    const kind = ownSpan ? SpanKind.CLIENT : SpanKind.INTERNAL;
    const span = tracer.startSpan(spanName, { kind, attributes });
    return runInSpan(span, context.active(), async () => {
      const started = performance.now();
      const answer: { status?: number } = {};
      const classified = await post(body, span, signal, classify, answer);
      recordOnSpan(span, classified.delivery, options.operation.idAttribute);
      const { delivery } = classified;
      options.onAttempt?.({
        method: "POST",
        serverAddress: hostname,
        serverPort,
        status: answer.status,
        errorType: delivery.outcome === "delivered" ? undefined : delivery.reason,
      }, (performance.now() - started) / 1000);
      return classified;
    });
  }

  // How long to wait before the next attempt, or undefined when there must be none.
  function backoff(classified: Classified, attempts: number, deadline: Deadline): number | undefined {
    if (!classified.retryable || attempts >= retry.maxAttempts) return undefined;
    const jittered = retry.random() * retry.baseDelayMs * 2 ** (attempts - 1);
    const delay = Math.max(jittered, classified.retryAfterMs ?? 0);
    // A wait that leaves no time for the attempt after it only makes the answer to Okta later.
    return delay + retry.minAttemptMs <= deadline.remainingMs() ? delay : undefined;
  }

  return async (body, deadline, classify) => {
    for (let attempts = 1;; attempts++) {
      const classified = await attempt(body, attempts - 1, deadline.signal, classify);
      const delay = backoff(classified, attempts, deadline);
      if (delay === undefined) return classified.delivery;
      try {
        await retry.sleep(delay, deadline.signal);
      } catch {
        return classified.delivery; // the deadline ended the wait; nothing was sent since
      }
    }
  };
}

// A 3xx: nothing was sent anywhere else, and an operator should look at the configured base URL.
function redirectRefused(response: HttpAnswer, span: Span): Classified {
  span.setAttribute("http.response.status_code", response.status);
  const metadata = { httpStatus: String(response.status), redirect: "not_followed" };
  return {
    delivery: failed("provider_misconfigured", { provider: EIGHT_BY_EIGHT, metadata }),
    retryable: false,
  };
}

// `fetch` with one connection per request; redirects are returned, not followed. A connection is never used
// twice: when a reused keep-alive connection closes after the server has read a request, the runtime's HTTP
// client sends the request again by itself, below our retry rules (a second SMS); on a fresh connection it
// never does. Where the runtime has no `createHttpClient`, the default client is used.
function fetchOnFreshConnection(url: string): Transport {
  const oneRequestPerConnection = typeof Deno.createHttpClient === "function"
    ? Deno.createHttpClient({ poolMaxIdlePerHost: 0 })
    : undefined;
  return async ({ headers, body, signal }) => {
    const response = await fetch(url, {
      method: "POST",
      headers,
      body,
      signal,
      redirect: "manual",
      client: oneRequestPerConnection,
    } as RequestInit);
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      return { status: response.status, headers: response.headers, body: new Uint8Array(0) };
    }
    const read = await readStreamWithin(response.body, MAX_ANSWER_BYTES);
    return { status: response.status, headers: response.headers, body: read };
  };
}

/** The URL of an 8x8 API operation under a subaccount. */
export function subaccountUrl(baseUrl: string, subaccountId: string, resource: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/api/v1/subaccounts/${encodeURIComponent(subaccountId)}/${resource}`;
}

// What 8x8 answered, as far as it is safe to keep: ids and codes only.
function recordOnSpan(span: Span, delivery: Delivery, idAttribute: string): void {
  const id = delivery.outcome === "delivered" ? delivery.transactionId : delivery.metadata.umid;
  if (id !== undefined) span.setAttribute(idAttribute, id);
  const { status, code, errorId } = delivery.metadata;
  if (status !== undefined) span.setAttribute("eightbyeight.status", status);
  if (code !== undefined) span.setAttribute("eightbyeight.error_code", code);
  if (errorId !== undefined) span.setAttribute("eightbyeight.error_id", errorId);
  if (delivery.outcome !== "delivered") markFailed(span, delivery.reason);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", stop, { once: true });
  });
}
