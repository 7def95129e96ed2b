// The composition root: the only module that knows which adapter serves which port.
import { VERSION } from "./version.ts";
import { createHeaderSecretAuth } from "./okta/header_secret.ts";
import { sameInConstantTime } from "./http/constant_time.ts";
import { createOAuthBearerAuth, type OAuthBearerAuth } from "./okta/oauth_bearer.ts";
import { type ReadinessCheck, readinessRoute } from "./http/readiness.ts";
import { kvReachable } from "./stores/kv_reachable.ts";
import { createRouter, healthRoute, type Route, type ServeHandler } from "./http/router.ts";
import { createDeliveryLookup, DELIVERIES_PREFIX } from "./receipts/delivery_lookup.ts";
import { createReceiptWebhook } from "./receipts/receipt_webhook.ts";
import { errorResponse } from "./http/json_response.ts";
import { metricsRoute, type ServiceMetrics } from "./observability/metrics.ts";
import { traceRoute } from "./observability/server_span.ts";
import { createTelephonyHookHandler, type HookAuthenticator } from "./okta/telephony_hook.ts";
import { createEightByEightSms } from "./eight_by_eight/sms_sender.ts";
import { createEightByEightVoice } from "./eight_by_eight/voice_caller.ts";
import type { Logger } from "./observability/json_logger.ts";
import type { Meters } from "./observability/telemetry.ts";
import { NOOP_METER } from "./observability/otel_api.ts";
import { createOtelMetrics } from "./observability/otel_metrics.ts";
import type { HttpSpans } from "./observability/tracing.ts";
import { createLibphonenumberParser } from "./phone_numbers/libphonenumber.ts";
import { createKvLedger } from "./stores/kv_ledger.ts";
import { createKvRateLimiter } from "./stores/kv_rate_limiter.ts";
import { createMemoryLedger } from "./stores/memory_ledger.ts";
import { createKvReplayStore } from "./stores/kv_replay_store.ts";
import { createMemoryRateLimiter } from "./stores/memory_rate_limiter.ts";
import { createMemoryReplayStore } from "./stores/memory_replay_store.ts";
import { createStoreHealth, type StoreHealth } from "./stores/store_health.ts";
import { createSandboxSms, createSandboxVoice } from "./sandbox/sandbox.ts";
import type { Config } from "./config/config.ts";
import type {
  DeliveryLedger,
  DeliveryPorts,
  RateLimiter,
  ReplayStore,
  SmsSender,
  VoiceCaller,
} from "./domain/ports.ts";
import { deliverOtpTraced } from "./observability/traced_delivery.ts";

/** What `createService` takes besides the configuration; tests and `main` may choose. */
export interface ServiceOptions {
  /** The started telemetry; absent (in tests), spans go to whatever is registered and metrics to `/metrics`. */
  readonly telemetry?: {
    readonly httpSpans: HttpSpans;
    readonly meters: Meters;
    prometheusText(): Promise<string>;
  };
  readonly replays?: ReplayStore;
  readonly limiter?: RateLimiter;
  /** The shared database, when the stores live in Deno KV. */
  readonly kv?: Deno.Kv;
  readonly ledger?: DeliveryLedger;
  /** How long one round of readiness checks answers `/readyz`; default 1 s. */
  readonly readinessCacheMs?: number;
}

/** Wires the adapters for one configuration into the server's request handler. */
export function createService(config: Config, logger: Logger, options: ServiceOptions = {}): ServeHandler {
  const telemetry = options.telemetry ?? localTelemetry();
  const { httpSpans } = telemetry;
  const metrics = createOtelMetrics(telemetry.meters);
  const health = createStoreHealth({ logger, count: metrics });
  const { replays, limiter } = createStores(config, health, options);
  const oktaAuth = createAuthenticator(config, logger);
  // Checked once per request, though both the trace and the handler ask.
  const authenticator = oncePerRequest(oktaAuth);
  const { kv } = options;
  const readiness: ReadinessCheck[] = [
    ...(kv === undefined ? [] : [{ name: "kv_unreachable", isReady: () => kvReachable(kv) }]),
    ...("hasKeys" in oktaAuth ? [{ name: "oauth_keys_unavailable", isReady: () => oktaAuth.hasKeys() }] : []),
  ];
  const fromOkta = async (headers: Headers) => (await authenticator.verify(headers)).ok;
  const ledger = config.receipts === undefined
    ? undefined
    : options.ledger ?? (options.kv === undefined ? createMemoryLedger() : createKvLedger(options.kv));
  const ports: DeliveryPorts = {
    phoneNumbers: createLibphonenumberParser({ nationalRegion: config.nationalNumberRegion }),
    now: Date.now,
    ...createSenders(config, logger, httpSpans, metrics),
    replays,
    limiter,
  };
  const hook = createTelephonyHookHandler({
    authenticator,
    // The use case inside its INTERNAL span; with no tracing registered the span is a no-op.
    deliver: (request, deadline) => deliverOtpTraced(request, config.abuse, ports, deadline),
    logger,
    metrics,
    ledger,
    onLedgerError: (error) => health.failed("ledger", "remember", error),
    budgetMs: config.budgetMs,
  });
  const receiptsAuthorization = config.receipts?.authorization ?? "";
  const receiptRoutes: Route[] = config.receipts === undefined || ledger === undefined ? [] : [
    traceRoute(
      {
        method: "POST",
        path: config.receipts.path,
        handler: createReceiptWebhook({
          authorization: config.receipts.authorization,
          ledger,
          logger,
          metrics,
        }),
      },
      httpSpans,
      (headers) => sameInConstantTime(headers.get("authorization") ?? "", receiptsAuthorization),
    ),
    ...(config.lookupAuthorization === undefined ? [] : [{
      method: "GET",
      path: `${DELIVERIES_PREFIX}*`,
      handler: createDeliveryLookup(config.lookupAuthorization, ledger),
    }]),
  ];
  return createRouter([
    traceRoute({ method: "POST", path: config.hookPath, handler: hook }, httpSpans, fromOkta),
    healthRoute({ version: VERSION, mode: config.provider.kind }),
    readinessRoute(readiness, { cacheMs: options.readinessCacheMs }),
    ...(config.metricsAuthorization === undefined
      ? []
      : [guarded(metricsRoute(telemetry.prometheusText), config.metricsAuthorization)]),
    ...receiptRoutes,
  ], { trustProxy: config.trustProxy, metrics, logger });
}

// Without started telemetry (in a test, say): spans to whatever provider is registered, metrics to nowhere.
function localTelemetry(): NonNullable<ServiceOptions["telemetry"]> {
  return {
    httpSpans: "service",
    meters: { own: NOOP_METER },
    prometheusText: () => Promise.resolve(""),
  };
}

// A route only for whoever holds its credential: the exact `Authorization` value, compared in constant time.
function guarded(route: Route, authorization: string): Route {
  return {
    ...route,
    handler: (request, client) =>
      sameInConstantTime(request.headers.get("authorization") ?? "", authorization)
        ? route.handler(request, client)
        : errorResponse(401, "unauthorized", "Missing or wrong credentials"),
  };
}

/**
 * The replay store and rate limiter, unless the caller brought its own: shared in Deno KV when there is one,
 * else in this process's memory (whose budget is allocated at once, so only what is used is made).
 */
function createStores(
  config: Config,
  health: StoreHealth,
  options: ServiceOptions,
): { replays: ReplayStore; limiter: RateLimiter } {
  const { kv } = options;
  const budgetBytes = config.storeMemoryBytes === undefined ? undefined : config.storeMemoryBytes / 2;
  // Subjects are keyed with a secret every instance shares, so the shared store never holds a phone number.
  const subjectKey = config.provider.kind === "8x8" ? config.provider.apiKey : config.authSecrets[0]!;
  if (kv !== undefined && options.replays === undefined && options.limiter === undefined) {
    // One database: a claim carries the passcode's counts in its own commit.
    const limiter = createKvRateLimiter(kv, {
      subjectKey,
      onStoreError: (op, error) => health.failed("rate_limits", op, error),
    });
    const replays = createKvReplayStore(kv, {
      limits: limiter,
      onStoreError: (op, error) => health.failed("replays", op, error),
    });
    return { replays, limiter };
  }
  const replays = options.replays ??
    (kv !== undefined
      ? createKvReplayStore(kv, { onStoreError: (op, error) => health.failed("replays", op, error) })
      : createMemoryReplayStore({ budgetBytes, onEarlyEviction: () => health.evictedEarly("replays") }));
  const limiter = options.limiter ??
    (kv !== undefined
      ? createKvRateLimiter(kv, {
        subjectKey,
        onStoreError: (op, error) => health.failed("rate_limits", op, error),
      })
      : createMemoryRateLimiter({ budgetBytes, onEarlyEviction: () => health.evictedEarly("rate_limits") }));
  return { replays, limiter };
}

// The same request's headers get the same decision: a JWT is verified once even when asked twice.
function oncePerRequest(authenticator: HookAuthenticator): HookAuthenticator {
  const decided = new WeakMap<Headers, ReturnType<HookAuthenticator["verify"]>>();
  return {
    verify(headers) {
      let decision = decided.get(headers);
      if (decision === undefined) decided.set(headers, decision = authenticator.verify(headers));
      return decision;
    },
  };
}

function createAuthenticator(config: Config, logger: Logger): HookAuthenticator | OAuthBearerAuth {
  if (config.oauth === undefined) {
    return createHeaderSecretAuth({ headerName: config.authHeader, secrets: config.authSecrets });
  }
  return createOAuthBearerAuth({
    ...config.oauth,
    // Logged at start: an unreachable issuer means every hook call will be refused until it is fixed.
    onDiscovery: ({ ok, jwksUri, detail }) =>
      ok
        ? logger.info("oauth_keys", { jwksUri })
        : logger.error("oauth_keys_unavailable", { jwksUri, detail, issuer: config.oauth?.issuer }),
    // After start: the last good keys keep serving, and the outage is named (at most once per cooldown).
    onKeysOutage: ({ jwksUri, detail }) =>
      logger.error("oauth_keys_unavailable", {
        jwksUri,
        detail,
        issuer: config.oauth?.issuer,
        lastKeysServing: true,
      }),
  });
}

function createSenders(
  config: Config,
  logger: Logger,
  httpSpans: HttpSpans,
  metrics: ServiceMetrics,
): { sms: SmsSender; voice?: VoiceCaller } {
  const { provider } = config;
  if (provider.kind === "sandbox") {
    return { sms: createSandboxSms(logger), voice: createSandboxVoice(logger) };
  }
  const common = {
    apiKey: provider.apiKey,
    keepAlive: provider.keepAlive,
    userAgent: `okta-8x8-telephony-hook/${VERSION}`,
    httpSpans,
    onAttempt: metrics.clientRequest,
  };
  return {
    sms: createEightByEightSms({ ...provider.sms, ...common }),
    voice: provider.voice && createEightByEightVoice({ ...provider.voice, ...common }),
  };
}
