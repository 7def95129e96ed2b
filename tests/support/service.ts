// Runs the real service handler, wired by main.ts, on loopback with a fake 8x8 behind it.
import { type Config, type Environment, loadConfig } from "../../src/config/config.ts";
import type { DeliveryLedger, RateLimiter, ReplayStore } from "../../src/domain/ports.ts";
import { createService } from "../../src/service.ts";
import { type Fake8x8, startFake8x8 } from "../fakes/fake_8x8.ts";
import { capturedLogger } from "./fakes.ts";
import { VERSION } from "../../src/version.ts";
import { startMetrics } from "../../src/observability/metrics_sdk.ts";

export const SECRET = "okta-hook-secret-current-0001";
export const PREVIOUS_SECRET = "okta-hook-secret-previous-0002";
/** The credentials of `/metrics` and of the delivery lookup, each its own. */
export const METRICS_AUTH = "Bearer metrics-scraper-token-0003";
export const LOOKUP_AUTH = "Bearer help-desk-lookup-token-0004";

/** A running service with its fake 8x8 and everything it logged. */
export interface RunningService {
  readonly url: string;
  readonly fake: Fake8x8;
  readonly logLines: string[];
  readonly config: Config;
  post(body: BodyInit | null, headers?: Record<string, string>): Promise<Response>;
  /** `GET /metrics` with its credential, as text. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

/** What a test may change about the service it starts. */
export interface ServiceSetup {
  readonly replays?: ReplayStore;
  readonly limiter?: RateLimiter;
  readonly ledger?: DeliveryLedger;
  /** A Deno KV database for the stores, as `STATE_STORE=kv` gives the service. */
  readonly kv?: Deno.Kv;
  /** A fake 8x8 to share with another service instance; the service closes it only if it made it. */
  readonly fake?: Fake8x8;
  /** Turns 8x8 voice on, with the fake's voice subaccount. */
  readonly voice?: boolean;
  /** More settings; by default the rate limits are off, since most tests send many passcodes to one number. */
  readonly env?: Environment;
}

/** The caller ID the tests configure for voice. */
export const VOICE_SOURCE = "+6588000000";

/** Starts the fake 8x8 and the service on free loopback ports. */
export function startService(setup: ServiceSetup = {}): RunningService {
  const fake = setup.fake ?? startFake8x8();
  const result = loadConfig({
    OKTA_AUTH_SECRET: SECRET,
    OKTA_AUTH_SECRET_PREVIOUS: PREVIOUS_SECRET,
    EIGHTBYEIGHT_API_KEY: fake.apiKey,
    EIGHTBYEIGHT_SUBACCOUNT_ID: fake.subaccountId,
    EIGHTBYEIGHT_SMS_SOURCE: "Acme",
    EIGHTBYEIGHT_SMS_BASE_URL: fake.url,
    ...(setup.voice
      ? {
        EIGHTBYEIGHT_VOICE_SOURCE: VOICE_SOURCE,
        EIGHTBYEIGHT_VOICE_SUBACCOUNT_ID: fake.voiceSubaccountId,
        EIGHTBYEIGHT_VOICE_BASE_URL: fake.url,
      }
      : {}),
    RATE_LIMIT_PER_NUMBER: "off",
    RATE_LIMIT_PER_USER: "off",
    METRICS_AUTH,
    DELIVERY_LOOKUP_AUTH: LOOKUP_AUTH,
    ...setup.env,
  }, () => "unused");
  if (!result.ok) throw new Error(result.problems.join("; "));
  const logger = capturedLogger();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    createService(result.config, logger, {
      replays: setup.replays,
      limiter: setup.limiter,
      ledger: setup.ledger,
      kv: setup.kv,
      // Metrics as a scraped service has them, so /metrics answers with real counts.
      telemetry: localMetrics(),
      // Every probe runs the checks, so a test sees a change at once (the cache has its own test).
      readinessCacheMs: 0,
    }),
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    url,
    fake,
    logLines: logger.lines,
    config: result.config,
    post: (body, headers = {}) =>
      fetch(`${url}/telephony-hook`, {
        method: "POST",
        headers: { authorization: SECRET, "content-type": "application/json", ...headers },
        body,
      }),
    metrics: async () =>
      await (await fetch(`${url}/metrics`, { headers: { authorization: METRICS_AUTH } })).text(),
    async close() {
      await server.shutdown();
      if (setup.fake === undefined) await fake.close();
    },
  };
}

/** Runs `test` against a fresh service and always closes it. */
export async function withService(setup: ServiceSetup, test: (service: RunningService) => Promise<void>) {
  const service = startService(setup);
  try {
    await test(service);
  } finally {
    await service.close();
  }
}

/** The telephony action of an Okta answer, after checking it is a JSON 200. */
export async function actionOf(response: Response) {
  if (response.status !== 200) {
    throw new Error(`expected 200, got ${response.status}: ${await response.text()}`);
  }
  if (!response.headers.get("content-type")?.startsWith("application/json")) {
    throw new Error("the answer is not JSON");
  }
  return (await response.json()).commands[0].value[0];
}

function localMetrics() {
  const pipeline = startMetrics(undefined, VERSION);
  return {
    httpSpans: "service" as const,
    meters: { own: pipeline.meter },
    prometheusText: pipeline.prometheusText,
  };
}
