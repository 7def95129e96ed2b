import type { Deadline, DeliveryLedger } from "../domain/ports.ts";
import type { OtpRequest } from "../domain/otp_request.ts";
import type { Delivery, DeliveryAttempt } from "../domain/delivery.ts";
import type { SentRecord } from "../domain/receipts.ts";
import type { Logger } from "../observability/json_logger.ts";
import { readJson } from "../http/body.ts";
import { createDeadlines } from "../http/deadline.ts";
import type { ServiceMetrics } from "../observability/metrics.ts";
import type { Handler, RequestContext } from "../http/router.ts";
import {
  type ErrorCause,
  errorResponse,
  jsonResponse,
  type RequestErrorCode,
} from "../http/json_response.ts";
import { type ParsedHookRequest, parseOktaRequest } from "./okta_request.ts";
import { toOktaResponse } from "./okta_response.ts";

/** Whether a request is Okta's; a refusal carries a stable, secret-free reason for the log. */
export type AuthDecision = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Decides whether a request really comes from Okta, from its headers alone (the body is not read yet). */
export interface HookAuthenticator {
  verify(headers: Headers): AuthDecision | Promise<AuthDecision>;
}

/** What the hook handler needs. */
export interface HookDeps {
  readonly authenticator: HookAuthenticator;
  /** The use case, at most once per eventId; the composition root decides whether it is traced. */
  readonly deliver: (request: OtpRequest, deadline: Deadline) => Promise<DeliveryAttempt>;
  readonly logger: Logger;
  /** Time from a request's arrival to its answer; Okta gives up after 3 s. Defaults to 2,500 ms. */
  readonly budgetMs?: number;
  /** Counts outcomes for `/metrics`. */
  readonly metrics?: ServiceMetrics;
  /** Remembers sent SMS so that 8x8's delivery receipts can be joined to them; absent when receipts are off. */
  readonly ledger?: DeliveryLedger;
  /** Told when the ledger cannot be written; the passcode's answer does not change. */
  readonly onLedgerError?: (error: unknown) => void;
}

/** Okta's request is a few hundred bytes; anything near this limit is not Okta. */
export const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_BUDGET_MS = 2_500;
/** On an answer repeated from an earlier delivery of the same eventId. */
export const REPLAYED_HEADER = "otp-replayed";
const REPLAYED_HEADERS = { "content-type": "application/json; charset=utf-8", [REPLAYED_HEADER]: "true" };

/**
 * The telephony hook endpoint: authenticate, validate, deliver, answer. Every delivery outcome is a 200
 * with a valid Okta command; only requests that are not Okta's or cannot be read get a 4xx.
 */
export function createTelephonyHookHandler(deps: HookDeps): Handler {
  const now = () => performance.now();
  const budgetMs = deps.budgetMs ?? DEFAULT_BUDGET_MS;
  const startDeadline = createDeadlines(budgetMs, now);
  const refuse = (
    { status, code, summary, causes, detail }: Omit<Refusal, "ok">,
    started: number,
    client: RequestContext,
  ) => {
    deps.logger.warn("hook_refused", {
      status,
      reason: code,
      detail,
      client: client.address,
      durationMs: elapsed(now, started),
    });
    // A body still arriving would keep the connection busy: close it with the answer.
    const headers = status === 408 ? { connection: "close" } : undefined;
    return errorResponse(status, code, summary, { causes, headers });
  };

  return async (request, client) => {
    const started = now();
    const deadline = startDeadline();
    try {
      return await handle(request, client, started, deadline);
    } finally {
      deadline.dispose();
    }
  };

  // A ledger that cannot be written costs the receipt join, never the user's passcode.
  async function remember(sent: SentRecord): Promise<void> {
    try {
      await deps.ledger!.remember(sent);
    } catch (error) {
      deps.onLedgerError?.(error);
    }
  }

  async function handle(
    request: Request,
    client: RequestContext,
    started: number,
    deadline: Deadline,
  ): Promise<Response> {
    const auth = await deps.authenticator.verify(request.headers);
    if (!auth.ok) {
      const refusal: Omit<Refusal, "ok"> = {
        status: 401,
        code: "unauthorized",
        summary: "Missing or wrong credentials",
        detail: auth.reason,
      };
      return refuse(refusal, started, client);
    }
    const parsed = await readHookRequest(request, deadline.signal);
    if (!parsed.ok) return refuse(parsed, started, client);

    const { event, request: otpRequest } = parsed;
    // For the request's SERVER span: the tracing around this handler records them.
    client.facts["okta.event_id"] = event.eventId;
    if (event.requestType) client.facts["okta.request_type"] = event.requestType;
    const { delivery, maskedDestination, countryCallingCode, replayed } = await deps.deliver(
      otpRequest,
      deadline,
    );
    if (deps.ledger && delivery.outcome === "delivered" && otpRequest.channel === "sms" && !replayed) {
      await remember({
        transactionId: delivery.transactionId,
        eventId: event.eventId,
        maskedDestination,
        countryCallingCode: countryCallingCode ?? "",
        sentAt: Date.now(),
        traceParent: client.traceParent,
      });
    }
    const reason = delivery.outcome === "delivered" ? undefined : delivery.reason;
    deps.metrics?.delivery({
      channel: otpRequest.channel,
      outcome: delivery.outcome,
      reason,
      rule: delivery.metadata.rule,
      countryCallingCode,
      replayed: replayed === true,
    });
    deps.logger[levelOf(delivery)]("hook", {
      eventId: event.eventId,
      requestType: event.requestType,
      channel: otpRequest.channel,
      destination: maskedDestination,
      outcome: delivery.outcome,
      reason,
      rule: delivery.metadata.rule,
      provider: delivery.provider,
      transactionId: delivery.outcome === "delivered" ? delivery.transactionId : undefined,
      replayed,
      durationMs: elapsed(now, started),
    });
    // Okta reads only the body; the header tells a person (or `deno task preview`) that nothing new was sent.
    return jsonResponse(
      toOktaResponse(delivery, event.eventId),
      200,
      replayed ? REPLAYED_HEADERS : undefined,
    );
  }
}

/** Why a request is answered with a 4xx before any delivery is tried. */
interface Refusal {
  readonly ok: false;
  readonly status: number;
  readonly code: RequestErrorCode;
  readonly summary: string;
  readonly causes?: readonly ErrorCause[];
  /** For the log only, never the answer. */
  readonly detail?: string;
}

// Content type, size, JSON, then Okta's schema: each failure is its own status and stable code.
async function readHookRequest(
  request: Request,
  signal: AbortSignal,
): Promise<Extract<ParsedHookRequest, { ok: true }> | Refusal> {
  const read = await readJson(request, MAX_BODY_BYTES, signal);
  if (!read.ok) return read;
  const parsed = parseOktaRequest(read.body);
  if (parsed.ok) return parsed;
  const summary = "The body is not a telephony hook request";
  return { ok: false, status: 400, code: "invalid_request", summary, causes: parsed.problems };
}

// By what an operator must do: `error` when only a human can fix it (8x8 refusing our key or settings, 8x8
// unreachable after every retry), `warn` for refusals of this one request, `info` for a passcode on its way.
function levelOf(delivery: Delivery): "info" | "warn" | "error" {
  if (delivery.outcome === "delivered") return "info";
  return NEEDS_A_HUMAN.has(delivery.reason) ? "error" : "warn";
}

const NEEDS_A_HUMAN = new Set<string>([
  "provider_auth_failed",
  "provider_misconfigured",
  "provider_unavailable",
  "channel_not_configured",
  "timeout",
  "network_error",
  "gateway_error",
  "unreadable_response",
]);

function elapsed(now: () => number, started: number): number {
  return Math.round(now() - started);
}
