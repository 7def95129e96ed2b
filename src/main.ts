// The composition root: the only module that knows which adapter serves which port.
import { VERSION } from "./version.ts";
import { createHeaderSecretAuth, sameInConstantTime } from "./adapters/inbound/okta_auth/header_secret.ts";
import { createOAuthBearerAuth, type OAuthBearerAuth } from "./adapters/inbound/okta_auth/oauth_bearer.ts";
import { type ReadinessCheck, readinessRoute } from "./adapters/inbound/http/readiness.ts";
import { kvReachable } from "./adapters/outbound/deno_kv/reachable.ts";
import { createRouter, healthRoute, type Route, type ServeHandler } from "./adapters/inbound/http/router.ts";
import {
  createDeliveryLookup,
  DELIVERIES_PREFIX,
} from "./adapters/inbound/delivery_receipts/delivery_lookup.ts";
import { createReceiptWebhook } from "./adapters/inbound/delivery_receipts/receipt_webhook.ts";
import { errorResponse } from "./adapters/inbound/http/json_response.ts";
import { type DeliveryMetrics, metricsRoute } from "./adapters/inbound/http/metrics.ts";
import { traceRoute } from "./adapters/inbound/http/server_span.ts";
import {
  createTelephonyHookHandler,
  type HookAuthenticator,
} from "./adapters/inbound/okta_hook/telephony_hook.ts";
import { createEightByEightSms } from "./adapters/outbound/eight_by_eight/sms_sender.ts";
import { createEightByEightVoice } from "./adapters/outbound/eight_by_eight/voice_caller.ts";
import {
  createBufferedOutput,
  createJsonLogger,
  type Logger,
} from "./adapters/outbound/json_log/json_logger.ts";
import {
  type Meters,
  runtimeTelemetryActive,
  startMetrics,
  startTelemetry,
} from "./adapters/outbound/opentelemetry/telemetry.ts";
import { createOtelMetrics } from "./adapters/outbound/opentelemetry/metrics.ts";
import { activeTraceIds, type HttpSpans } from "./adapters/tracing.ts";
import { createLibphonenumberParser } from "./adapters/outbound/phone_numbers/libphonenumber.ts";
import { createKvLedger } from "./adapters/outbound/deno_kv/delivery_ledger.ts";
import { createKvRateLimiter } from "./adapters/outbound/deno_kv/rate_limiter.ts";
import { createMemoryLedger } from "./adapters/outbound/memory/delivery_ledger.ts";
import { createKvReplayStore } from "./adapters/outbound/deno_kv/replay_store.ts";
import { createMemoryRateLimiter } from "./adapters/outbound/memory/rate_limiter.ts";
import { createMemoryReplayStore } from "./adapters/outbound/memory/replay_store.ts";
import { createStoreHealth, type StoreHealth } from "./adapters/outbound/store_health.ts";
import { createSandboxSms, createSandboxVoice } from "./adapters/outbound/sandbox/sandbox.ts";
import {
  type Config,
  environmentNames,
  loadConfig,
  readEnvironment,
  unknownSettingWarnings,
} from "./config.ts";
import type { DeliveryLedger, RateLimiter, ReplayStore, SmsSender, VoiceCaller } from "./domain/ports.ts";

// With the default request budget (2.5 s), these keep a stop under the 5 s Deno Deploy allows after SIGINT.
const FLUSH_TIMEOUT_MS = 1_800;
const LOG_DRAIN_TIMEOUT_MS = 300;

const USAGE = `okta-8x8-telephony-hook ${VERSION}: Okta's telephony inline hook, sending one-time passcodes
through 8x8's SMS and Voice Messaging APIs.

Usage: okta-8x8-telephony-hook [--help | --version | --healthcheck]
       deno task start

With no option it serves the hook. Settings come from environment variables (\`deno task start\` also reads
.env); .env.example lists every one, and without 8x8 settings it runs as a sandbox on 127.0.0.1:3000.

Options:
  --help         print this and exit
  --version      print the version and exit
  --healthcheck  ask the running service's /healthz on 127.0.0.1:$PORT; exit 0 when it answers ok
`;

if (import.meta.main) {
  const [option, ...rest] = Deno.args;
  if (option === "--help" || option === "-h") {
    console.log(USAGE);
  } else if (option === "--version") {
    console.log(VERSION);
  } else if (option === "--healthcheck" && rest.length === 0) {
    Deno.exit(await healthcheck());
  } else if (option !== undefined) {
    // A typo must not start a server that looks like it took the option.
    console.error(`Unknown option: ${Deno.args.join(" ")}\n\n${USAGE}`);
    Deno.exit(2);
  } else {
    await start();
  }
}

/** For container health checks where there is no curl: asks the running service's `/healthz` on loopback. */
async function healthcheck(): Promise<number> {
  const result = loadConfig(readEnvironment(), () => "");
  const port = result.ok ? result.config.port : 3000;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
    const body = await response.json();
    return response.ok && body.status === "ok" ? 0 : 1;
  } catch {
    return 1;
  }
}

async function start(): Promise<void> {
  const result = loadConfig(readEnvironment(), generateSecret);
  if (!result.ok) {
    console.error(`Configuration problems:\n${result.problems.map((p) => `  - ${p}`).join("\n")}`);
    console.error("See .env.example for every setting and its meaning.");
    Deno.exit(1);
  }
  const config = result.config;
  // Under Deno's runtime OpenTelemetry (Deno Deploy) the console is what gets captured, with each line's trace;
  // elsewhere lines are batched to standard output, where a stalled reader can never block a request.
  const output = runtimeTelemetryActive() ? undefined : createBufferedOutput(Deno.stdout);
  const logger = createJsonLogger({
    write: output?.write,
    level: config.logLevel,
    traceContext: activeTraceIds,
  });
  for (const warning of [...result.warnings, ...unknownSettingWarnings(environmentNames())]) {
    logger.warn("config_warning", { message: warning });
  }
  const telemetry = startTelemetry(config.telemetry, VERSION, logger);
  const kv = config.replays.kind === "kv" ? await openKv(config.replays.url) : undefined;
  logger.info("stores", { kind: config.replays.kind, for: "replays, rate limits, receipts" });
  const handler = createService(config, logger, { telemetry, kv });
  const serve = (port: number, onListen: (addr: Deno.NetAddr) => void) =>
    Deno.serve({
      ...(config.platformListen ? {} : { hostname: config.hostname, port }),
      onListen,
      onError: (error) => {
        // A bug, not an outcome: log where it happened but not the message, which may quote input.
        const stack = error instanceof Error ? error.stack?.split("\n").slice(1, 6).join(" | ") : undefined;
        logger.error("unhandled_error", { name: error instanceof Error ? error.name : typeof error, stack });
        return errorResponse(500, "internal_error", "Internal error");
      },
    }, handler);
  let server = listenOrExit(
    config,
    () => serve(config.port, ({ hostname, port }) => announce(config, logger, `http://${hostname}:${port}`)),
  );
  // When accepting fails (no file descriptor left, say), Deno.serve stops listening and the process would end:
  // listen again, with backoff, on the same port. Meanwhile new connections are refused; the process lives.
  const keepListening = (current: Deno.HttpServer) => {
    current.finished.catch(async (error) => {
      const port = (current.addr as Deno.NetAddr).port;
      logger.error("listener_failed", {
        error: (error as Error).name,
        message: String(error).slice(0, 160),
        port,
      });
      for (let waitMs = 100; !stopping; waitMs = Math.min(waitMs * 2, 5_000)) {
        await delay(waitMs, undefined);
        try {
          server = serve(port, () => logger.info("listening_again", { port }));
          keepListening(server);
          return;
        } catch {
          // Still no descriptor to spare: try again later.
        }
      }
    });
  };
  keepListening(server);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    await server.shutdown(); // stops accepting and lets requests in flight finish
    // Spans of answered requests must reach the collector, but a dead collector must not hold the exit.
    const flushed = await Promise.race([
      telemetry.shutdown().then(() => true),
      delay(FLUSH_TIMEOUT_MS, false),
    ]);
    kv?.close();
    logger.info("stopped", { telemetryFlushed: flushed, logLinesDropped: output?.dropped ?? 0 });
    // A reader that stalls must not hold the exit either.
    await output?.drain(LOG_DRAIN_TIMEOUT_MS);
    Deno.exit(0);
  };
  // Windows has no SIGTERM; its console sends SIGINT (Ctrl+C) and SIGBREAK (Ctrl+Break, and service stops).
  const signals = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"] as const
    : ["SIGINT", "SIGTERM"] as const;
  for (const signal of signals) Deno.addSignalListener(signal, () => void stop(signal));
}

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
  const metrics = createOtelMetrics(telemetry.meters, VERSION);
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
  const hook = createTelephonyHookHandler({
    authenticator,
    ports: {
      phoneNumbers: createLibphonenumberParser({ nationalRegion: config.nationalNumberRegion }),
      now: Date.now,
      ...createSenders(config, logger, httpSpans, metrics),
      replays,
      abuse: { rules: config.abuse, limiter },
    },
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

// Without started telemetry: spans to whatever provider is registered, metrics for `/metrics` only.
function localTelemetry(): NonNullable<ServiceOptions["telemetry"]> {
  const pipeline = startMetrics(undefined, VERSION);
  return { httpSpans: "service", meters: { own: pipeline.meter }, prometheusText: pipeline.prometheusText };
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
  metrics: DeliveryMetrics,
): { sms: SmsSender; voice?: VoiceCaller } {
  const { provider } = config;
  if (provider.kind === "sandbox") {
    return { sms: createSandboxSms(logger), voice: createSandboxVoice(logger) };
  }
  const common = {
    apiKey: provider.apiKey,
    userAgent: `okta-8x8-telephony-hook/${VERSION}`,
    httpSpans,
    onAttempt: metrics.clientRequest,
  };
  return {
    sms: createEightByEightSms({ ...provider.sms, ...common }),
    voice: provider.voice && createEightByEightVoice({ ...provider.voice, ...common }),
  };
}

function announce(config: Config, logger: Logger, origin: string): void {
  logger.info("listening", {
    url: origin,
    hookPath: config.hookPath,
    mode: config.provider.kind,
    voice: config.provider.kind === "sandbox" || config.provider.voice !== undefined,
    version: VERSION,
  });
  if (config.provider.kind !== "sandbox") return;
  if (config.oauth !== undefined) {
    console.error(`\n  SANDBOX MODE, with OAuth: send a Bearer token from ${config.oauth.issuer}\n`);
    return;
  }
  // A user-chosen secret is never printed; a generated one is throwaway and needed to try the hook.
  const secret = config.authSecretGenerated ? config.authSecrets[0] : "$OKTA_AUTH_SECRET";
  const lines = [
    "",
    "  SANDBOX MODE: no EIGHTBYEIGHT_* settings, so no SMS or call leaves this machine.",
    "  Deliveries are logged with a masked number and answered SUCCESSFUL with provider 'sandbox'.",
  ];
  if (config.authSecretGenerated) {
    lines.push("  OKTA_AUTH_SECRET is unset: this run accepts a generated secret.");
  }
  lines.push(
    "",
    "  Try it:",
    `    curl -sS -X POST ${origin}${config.hookPath} \\`,
    `      -H "${config.authHeader}: ${secret}" -H 'content-type: application/json' \\`,
    "      -d @tests/contracts/okta/request-sms-preview.json",
    `  or: OKTA_AUTH_SECRET='${secret}' deno task preview`,
    "",
  );
  console.error(lines.join("\n"));
}

// An address in use or one that is not this machine's is a configuration problem: say so, not a stack trace.
function listenOrExit(config: Config, listen: () => Deno.HttpServer): Deno.HttpServer {
  try {
    return listen();
  } catch (error) {
    const where = config.platformListen ? "the platform's address" : `${config.hostname}:${config.port}`;
    console.error(`Configuration problems:\n  - cannot listen on ${where}: ${(error as Error).message}`);
    console.error("Check HOST and PORT: another process may hold the port, or HOST is not an address here.");
    Deno.exit(1);
  }
}

async function openKv(url: string | undefined): Promise<Deno.Kv> {
  try {
    return await Deno.openKv(url);
  } catch (error) {
    // A configuration problem, reported as one: fail fast with what to fix.
    console.error(
      `Cannot open the Deno KV replay store${url ? ` at ${url}` : ""}: ${(error as Error).message}`,
    );
    console.error(
      "A local path needs --allow-read and --allow-write for it; a remote URL needs DENO_KV_ACCESS_TOKEN.",
    );
    Deno.exit(1);
  }
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
}
