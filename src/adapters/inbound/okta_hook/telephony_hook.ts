import { trace } from "@opentelemetry/api";
import type { DeliveryPorts } from "../../../domain/ports.ts";
import type { Logger } from "../../outbound/json_log/json_logger.ts";
import { isJsonContentType, readBodyWithin, TOO_LARGE } from "../http/body.ts";
import { errorResponse, jsonResponse } from "../http/json_response.ts";
import { parseOktaRequest } from "./okta_request.ts";
import { toOktaResponse } from "./okta_response.ts";
import { deliverOtpTraced } from "./traced_delivery.ts";

/** Decides whether a request really comes from Okta, from its headers alone (the body is not read yet). */
export interface HookAuthenticator {
  verify(headers: Headers): boolean | Promise<boolean>;
}

/** What the hook handler needs. */
export interface HookDeps {
  readonly authenticator: HookAuthenticator;
  readonly ports: DeliveryPorts;
  readonly logger: Logger;
  /** Time allowed for the whole delivery; Okta gives up after 3 s. Defaults to 2,500 ms. */
  readonly budgetMs?: number;
  /** Milliseconds from an arbitrary origin, for durations. */
  readonly now?: () => number;
}

/** Okta's request is a few hundred bytes; anything near this limit is not Okta. */
export const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_BUDGET_MS = 2_500;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The telephony hook endpoint: authenticate, validate, deliver, answer. Every delivery outcome is a 200
 * with a valid Okta command; only requests that are not Okta's or cannot be read get a 4xx.
 */
export function createTelephonyHookHandler(deps: HookDeps): (request: Request) => Promise<Response> {
  const now = deps.now ?? (() => performance.now());
  const budgetMs = deps.budgetMs ?? DEFAULT_BUDGET_MS;
  const refuse = (response: Response, reason: string, started: number) => {
    deps.logger.warn("hook_refused", { status: response.status, reason, durationMs: elapsed(now, started) });
    return response;
  };

  return async (request) => {
    const started = now();
    if (!await deps.authenticator.verify(request.headers)) {
      return refuse(
        errorResponse(401, "unauthorized", "Missing or wrong credentials"),
        "unauthorized",
        started,
      );
    }
    if (!isJsonContentType(request.headers.get("content-type"))) {
      const response = errorResponse(415, "unsupported_media_type", "Send application/json");
      return refuse(response, "unsupported_media_type", started);
    }
    const bytes = await readBodyWithin(request, MAX_BODY_BYTES);
    if (bytes === TOO_LARGE) {
      const response = errorResponse(
        413,
        "payload_too_large",
        `The body must be at most ${MAX_BODY_BYTES} bytes`,
      );
      return refuse(response, "payload_too_large", started);
    }
    const body = parseJson(bytes);
    if (body === INVALID_JSON) {
      return refuse(
        errorResponse(400, "invalid_json", "The body is not valid JSON"),
        "invalid_json",
        started,
      );
    }
    const parsed = parseOktaRequest(body);
    if (!parsed.ok) {
      const response = errorResponse(400, "invalid_request", "The body is not a telephony hook request", {
        causes: parsed.problems,
      });
      return refuse(response, "invalid_request", started);
    }

    const serverSpan = trace.getActiveSpan();
    serverSpan?.setAttribute("okta.event_id", parsed.event.eventId);
    if (parsed.event.requestType) serverSpan?.setAttribute("okta.request_type", parsed.event.requestType);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), budgetMs);
    try {
      const { delivery, maskedDestination } = await deliverOtpTraced(
        parsed.request,
        deps.ports,
        deadline.signal,
      );
      deps.logger.info("hook", {
        eventId: parsed.event.eventId,
        requestType: parsed.event.requestType,
        channel: parsed.request.channel,
        destination: maskedDestination,
        outcome: delivery.outcome,
        reason: delivery.outcome === "delivered" ? undefined : delivery.reason,
        provider: delivery.provider,
        transactionId: delivery.outcome === "delivered" ? delivery.transactionId : undefined,
        durationMs: elapsed(now, started),
      });
      return jsonResponse(toOktaResponse(delivery, parsed.event.eventId));
    } finally {
      clearTimeout(timer);
    }
  };
}

const INVALID_JSON = Symbol("invalid json");

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    return INVALID_JSON;
  }
}

function elapsed(now: () => number, started: number): number {
  return Math.round(now() - started);
}
