// The entry point: flags, start-up, the listener and a graceful stop. What serves a request is chosen in service.ts.
import { VERSION } from "./version.ts";
import { createService } from "./service.ts";
import { errorResponse } from "./http/json_response.ts";
import {
  type BufferedOutput,
  createBufferedOutput,
  createJsonLogger,
  type Logger,
} from "./observability/json_logger.ts";
import { startTelemetry } from "./observability/telemetry.ts";
import { runtimeTelemetryActive } from "./observability/otel_api.ts";
import { activeTraceIds } from "./observability/tracing.ts";
import { whenUnlocked } from "./stores/kv_locked.ts";
import {
  type Config,
  environmentNames,
  loadConfig,
  readEnvironment,
  unknownSettingWarnings,
} from "./config/config.ts";

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

/** A service made from the environment, ready to serve: every configuration problem ends the process first. */
export interface Prepared {
  readonly config: Config;
  readonly logger: Logger;
  readonly output?: BufferedOutput;
  readonly telemetry: Awaited<ReturnType<typeof startTelemetry>>;
  readonly kv?: Deno.Kv;
  readonly handler: ReturnType<typeof createService>;
}

/** Reads the settings, starts logging, telemetry and the stores, and wires the service: for main.ts and serve.ts. */
export async function prepare(): Promise<Prepared> {
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
  const telemetry = await startTelemetry(config.telemetry, VERSION, logger, {
    scrape: config.metricsAuthorization !== undefined,
  });
  const kv = config.replays.kind === "kv" ? await openKv(config.replays.url) : undefined;
  logger.info("stores", { kind: config.replays.kind, for: "replays, rate limits, receipts" });
  const handler = createService(config, logger, { telemetry, kv });
  return { config, logger, output, telemetry, kv, handler };
}

async function start(): Promise<void> {
  const { config, logger, output, telemetry, kv, handler } = await prepare();
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
    () =>
      serve(config.port, ({ hostname, port }) => {
        announce(config, logger, `http://${hostname}:${port}`);
        output?.flush(); // whoever waits for `listening` (a supervisor, a test) need not wait for a batch
      }),
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
    // Workers of `deno serve --parallel` open one new file together, and SQLite can refuse one of them at once
    // with "database is locked" (5 of 880 opens, 8 processes at a time; none of 720 with the wait).
    return await whenUnlocked(() => Deno.openKv(url));
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
