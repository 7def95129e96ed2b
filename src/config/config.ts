import type { AbuseRules, RateLimit } from "../domain/abuse_rules.ts";
import type { NumberType } from "../domain/otp_request.ts";
import { z } from "zod";
import {
  type OtlpProtocol,
  type Propagator,
  PROPAGATORS,
  SAMPLERS,
  type SignalExport,
  type TelemetryConfig,
} from "../observability/telemetry.ts";

/** The variables that hold a credential: stored as secrets wherever a platform tells them apart. */
export const SECRET_VARIABLES: readonly ConfigVariable[] = [
  "OKTA_AUTH_SECRET",
  "OKTA_AUTH_SECRET_PREVIOUS",
  "EIGHTBYEIGHT_API_KEY",
  "EIGHTBYEIGHT_DLR_AUTH",
  "METRICS_AUTH",
  "DELIVERY_LOOKUP_AUTH",
];

/** The raw environment, one optional string per variable. */
export type Environment = Partial<Record<ConfigVariable, string>>;

/** 8x8's SMS API settings. */
export interface SmsConfig {
  readonly baseUrl: string;
  readonly subaccountId: string;
  readonly source?: string;
}

/** 8x8's Voice Messaging API settings; voice is on only when a caller ID is configured. */
export interface VoiceConfig {
  readonly baseUrl: string;
  readonly subaccountId: string;
  readonly source: string;
  readonly defaultProfile: string;
}

/** Where passcodes go: 8x8, or nowhere (sandbox) when no 8x8 setting is given at all. */
export type ProviderConfig =
  | { readonly kind: "sandbox" }
  | {
    readonly kind: "8x8";
    readonly apiKey: string;
    /** Connections to 8x8 kept between passcodes (our own client), or one `fetch` per attempt (proxies). */
    readonly keepAlive: boolean;
    readonly sms: SmsConfig;
    readonly voice?: VoiceConfig;
  };

/** Log levels, most severe first: `LOG_LEVEL=warn` writes `error` and `warn` lines. */
export const LOG_LEVELS = ["error", "warn", "info"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the ids of delivered requests are remembered: this process, or a Deno KV database. */
export type ReplayConfig =
  | { readonly kind: "memory" }
  /** `url` is a file path or a remote KV URL; absent means Deno's default (on Deno Deploy, the attached database). */
  | { readonly kind: "kv"; readonly url?: string };

/** Okta's OAuth 2.0 hook authentication: tokens from a custom authorization server. */
export interface OAuthConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly scope?: string;
  readonly clientId?: string;
}

/** The validated configuration. */
export interface Config {
  /** On Deno Deploy the platform chooses the address, and `hostname` and `port` are not used. */
  readonly platformListen: boolean;
  readonly hostname: string;
  readonly port: number;
  readonly hookPath: string;
  /** From a request's arrival to its answer. */
  readonly budgetMs: number;
  readonly authHeader: string;
  /** Accepted secrets, current first. */
  readonly authSecrets: readonly string[];
  /** True when no secret was configured and a throwaway one was made for the sandbox. */
  readonly authSecretGenerated: boolean;
  /** When set, only Okta's OAuth bearer tokens are accepted, and the header secret is not. */
  readonly oauth?: OAuthConfig;
  readonly provider: ProviderConfig;
  readonly replays: ReplayConfig;
  /** Memory for the in-memory replay store and rate limiter together, in bytes, half each; absent: their defaults. */
  readonly storeMemoryBytes?: number;
  /** The `Authorization` value `GET /metrics` requires; absent, `/metrics` is not served. */
  readonly metricsAuthorization?: string;
  /** The `Authorization` value `GET /deliveries/{eventId}` requires; absent, the lookup is not served. */
  readonly lookupAuthorization?: string;
  /** 8x8's delivery receipt webhook, when `EIGHTBYEIGHT_DLR_AUTH` turns it on. */
  readonly receipts?: { readonly path: string; readonly authorization: string };
  /** Destination rules and rate limits, checked before any send. */
  readonly abuse: AbuseRules;
  /** The ISO country whose national format numbers without `+` are in; absent, such numbers are refused. */
  readonly nationalNumberRegion?: string;
  readonly telemetry: TelemetryConfig;
  /** The least severe level written. */
  readonly logLevel: LogLevel;
  /** `TRUST_PROXY=true`: a proxy in front sets `X-Forwarded-For` and `X-Forwarded-Proto`, and they are believed. */
  readonly trustProxy: boolean;
}

/** Either a configuration or every problem found, so an operator fixes them in one go. */
export type ConfigResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problems: readonly string[] };

const MIN_SECRET_LENGTH = 16;

// Plain http is only for a fake 8x8 on this machine; real traffic must use TLS.
const LOOPBACK_HTTP = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;
const LOOPBACK_HTTP_PREFIX = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/[^?#]*)?$/;
const secret = z.string().min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`)
  // HTTP strips surrounding whitespace from header values, so such a secret could never match.
  .refine((value) => value.trim() === value, "must not start or end with whitespace");

// An API host: https, or plain http only for a fake on this machine; a trailing slash is dropped.
const baseUrl = z.string().transform((url) => url.replace(/\/+$/, ""))
  .refine((url) => /^https:\/\/[^/?#]+$/.test(url) || LOOPBACK_HTTP.test(url), "must be https://host");
const NUMBER_TYPES = [
  "MOBILE",
  "FIXED_LINE",
  "FIXED_LINE_OR_MOBILE",
  "PREMIUM_RATE",
  "TOLL_FREE",
  "SHARED_COST",
  "VOIP",
  "PERSONAL_NUMBER",
  "PAGER",
  "UAN",
  "VOICEMAIL",
] as const satisfies readonly NumberType[];
const DURATION_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

// `US,CA,SG,+881`: ISO 3166-1 alpha-2 codes, or country calling codes for networks without a country.
const countryList = z.string().transform((text) =>
  new Set(text.split(",").map((code) => code.trim().toUpperCase()))
)
  .refine(
    (codes) => [...codes].every((code) => /^[A-Z]{2}$/.test(code) || /^\+[1-9]\d{0,2}$/.test(code)),
    "must be ISO country codes or country calling codes, e.g. US,CA,SG or +881",
  );

// `5/15m`: at most 5 in any 15 minutes; `off` turns the limit off.
// `off` becomes null, not undefined: zod would fill undefined with the default.
const rateLimit = z.string().transform((text, context): RateLimit | null => {
  if (text.trim().toLowerCase() === "off") return null;
  const match = /^(\d+)\/(\d*)(s|m|h|d)$/.exec(text.trim());
  // `2/0m` would be a window of nothing: a limit that never limits.
  if (match === null || Number(match[1]) < 1 || /^0+$/.test(match[2]!)) {
    context.addIssue({
      code: "custom",
      message: "must be N/<duration> such as 5/15m, 20/1h or 3/30s (N and the duration above 0), or off",
    });
    return null;
  }
  return {
    max: Number(match[1]),
    windowMs: Number(match[2] || 1) * DURATION_MS[match[3] as keyof typeof DURATION_MS],
  };
});

// 8x8's own pattern for subaccount ids, from its OpenAPI files.
const subaccountId = z.string().regex(/^[A-Za-z0-9\-._&]{3,50}$/, "must be 3 to 50 of A-Z a-z 0-9 - . _ &");
const otlpProtocol = z.string().transform((name) => name.trim().toLowerCase()).pipe(
  z.enum(["http/protobuf", "http/json"], {
    message: "must be http/protobuf or http/json (gRPC is not supported: use the collector's port 4318)",
  }),
);
const exporterName = z.string().transform((name) => name.trim().toLowerCase())
  .pipe(z.enum(["otlp", "console", "none"], { message: "must be otlp, console or none" }));
const httpUrl = z.string().refine(
  (url) => /^https?:\/\/[^/?#]+/.test(url),
  "must be an http:// or https:// URL",
);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  // An IPv4 or IPv6 address, or a host name: `not an address` fails here, not in a stack trace at start.
  HOST: z.string().regex(
    /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[?[0-9A-Fa-f:.]+\]?)$/,
    "must be an IP address or a host name, e.g. 0.0.0.0 or ::",
  ).optional(),
  DENO_DEPLOY: z.string().optional(),
  DENO_DEPLOYMENT_ID: z.string().optional(),
  SANDBOX: z.enum(["true", "false"], { message: "must be true or false" }).optional(),
  OKTA_HOOK_PATH: z.string().regex(/^\/[\w\-./]*$/, "must be a path such as /telephony-hook")
    .refine((path) => path !== "/healthz", "must not be /healthz").default("/telephony-hook"),
  // Okta waits 3 s; the answer needs a little of it to travel back.
  OKTA_RESPONSE_BUDGET_MS: z.coerce.number().int().min(100).max(2_900).default(2_500),
  OKTA_AUTH_HEADER: z.string().regex(/^[!#$%&'*+.^`|~\w-]+$/, "must be an HTTP header name")
    .transform((name) => name.toLowerCase()).default("authorization"),
  OKTA_AUTH_SECRET: secret.optional(),
  OKTA_AUTH_SECRET_PREVIOUS: secret.optional(),
  OKTA_OAUTH_ISSUER: z.string().transform((url) => url.replace(/\/+$/, ""))
    .refine(
      (url) => /^https:\/\/[^/?#]+(\/[^?#]*)?$/.test(url) || LOOPBACK_HTTP_PREFIX.test(url),
      "must be an https:// URL",
    )
    .optional(),
  OKTA_OAUTH_AUDIENCE: z.string().max(512).optional(),
  OKTA_OAUTH_SCOPE: z.string().regex(/^[\x21-\x7E]+$/, "must be one scope name").optional(),
  OKTA_OAUTH_CLIENT_ID: z.string().regex(/^[\x21-\x7E]+$/, "must be a client id").optional(),
  // It goes into a header line as it is: a space or a line break would end the line or the header.
  EIGHTBYEIGHT_API_KEY: z.string().regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional(),
  EIGHTBYEIGHT_SUBACCOUNT_ID: subaccountId.optional(),
  EIGHTBYEIGHT_SMS_SOURCE: z.string().max(16, "must be at most 16 characters (8x8's sender ID limit)")
    .optional(),
  EIGHTBYEIGHT_SMS_BASE_URL: baseUrl.default("https://sms.8x8.com"),
  // A number 8x8 has whitelisted as caller ID for the voice subaccount, E.164 with or without "+".
  EIGHTBYEIGHT_VOICE_SOURCE: z.string().regex(
    /^\+?[1-9]\d{6,14}$/,
    "must be a phone number, e.g. +6588000000",
  )
    .optional(),
  EIGHTBYEIGHT_VOICE_SUBACCOUNT_ID: subaccountId.optional(),
  EIGHTBYEIGHT_VOICE_BASE_URL: baseUrl.default("https://voice.8x8.com"),
  EIGHTBYEIGHT_VOICE_PROFILE: z.string().regex(
    /^[a-z]{2,3}-[A-Z]{2}-[\w-]+$/,
    "must be an 8x8 voice profile, e.g. en-US-Jenny",
  )
    .default("en-US-Jenny"),
  EIGHTBYEIGHT_DLR_AUTH: secret.optional(),
  METRICS_AUTH: secret.optional(),
  DELIVERY_LOOKUP_AUTH: secret.optional(),
  EIGHTBYEIGHT_DLR_PATH: z.string().regex(/^\/[\w\-./]*$/, "must be a path such as /8x8/delivery-receipts")
    .default("/8x8/delivery-receipts"),
  STATE_STORE: z.enum(["memory", "kv"], { message: "must be memory or kv" }).optional(),
  // The old name of STATE_STORE (it chose the store of replays, and rate limits and receipts followed it).
  REPLAY_STORE: z.enum(["memory", "kv"], { message: "must be memory or kv" }).optional(),
  NATIONAL_NUMBER_REGION: z.string().transform((code) => code.trim().toUpperCase())
    .refine((code) => /^[A-Z]{2}$/.test(code), "must be an ISO country code, e.g. US").optional(),
  ALLOWED_COUNTRIES: countryList.optional(),
  BLOCKED_COUNTRIES: countryList.default(new Set()),
  BLOCKED_NUMBER_TYPES: z.string().transform((text, context) => {
    if (text.trim().toLowerCase() === "none") return new Set<NumberType>();
    const types = text.split(",").map((type) => type.trim().toUpperCase()).filter(Boolean);
    const unknown = types.filter((type) => !(NUMBER_TYPES as readonly string[]).includes(type));
    if (unknown.length > 0) {
      context.addIssue({ code: "custom", message: `must be "none" or some of ${NUMBER_TYPES}` });
    }
    return new Set(types as NumberType[]);
  }).default(new Set<NumberType>(["PREMIUM_RATE", "SHARED_COST"])),
  RATE_LIMIT_PER_NUMBER: rateLimit.default({ max: 5, windowMs: 15 * 60_000 }),
  RATE_LIMIT_PER_USER: rateLimit.default({ max: 10, windowMs: 60 * 60_000 }),
  RATE_LIMIT_PER_COUNTRY: rateLimit.optional(),
  KV_URL: z.string().optional(),
  STORE_MEMORY_MB: z.coerce.number().int().min(1).max(65_536).optional(),
  // The specification: only "true", in any case, disables; anything else leaves the SDK on.
  OTEL_SDK_DISABLED: z.string().transform((value) => value.trim().toLowerCase() === "true").default(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: otlpProtocol.optional(),
  OTEL_TRACES_EXPORTER: exporterName.default("otlp"),
  // `prometheus` is a pull exporter: here that is `/metrics`, so nothing is pushed.
  OTEL_METRICS_EXPORTER: z.enum(["otlp", "prometheus", "console", "none"], {
    message: "must be otlp, prometheus, console or none",
  }).default("otlp"),
  OTEL_METRIC_EXPORT_INTERVAL: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  OTEL_PROPAGATORS: z.string().transform((text, context) => {
    const names = text.split(",").map((name) => name.trim().toLowerCase()).filter(Boolean);
    if (names.includes("none")) return [];
    const unknown = names.filter((name) => !(PROPAGATORS as readonly string[]).includes(name));
    if (unknown.length > 0) {
      context.addIssue({
        code: "custom",
        message: `must be some of ${PROPAGATORS}, or none (not ${unknown})`,
      });
    }
    return names as Propagator[];
  }).default([...PROPAGATORS]),
  LOG_LEVEL: z.string().transform((level) => level.trim().toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS}` })).default("info"),
  TRUST_PROXY: z.enum(["true", "false"], { message: "must be true or false" }).default("false"),
  EIGHTBYEIGHT_KEEP_ALIVE: z.enum(["true", "false"], { message: "must be true or false" }).optional(),
  // Read only to know that `fetch` must carry the calls to 8x8: the kept-alive client connects directly.
  HTTPS_PROXY: z.string().optional(),
  HTTP_PROXY: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
  OTEL_RESOURCE_ATTRIBUTES: z.string().transform(parseResourceAttributes)
    .refine((attributes) => attributes !== undefined, "must be key=value pairs separated by commas")
    .optional(),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS).default("parentbased_always_on"),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
});

/** A variable the service reads: the schema's keys, so each is named once. */
export type ConfigVariable = keyof typeof schema.shape;

/** Every environment variable the service reads; `readEnvironment` reads exactly these. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as ConfigVariable[];

// The 8x8 settings that make the service send for real (the receipt webhook's and the connections' do not).
const EIGHT_BY_EIGHT_VARIABLES = CONFIG_VARIABLES.filter((name) =>
  name.startsWith("EIGHTBYEIGHT_") && !name.startsWith("EIGHTBYEIGHT_DLR_") &&
  name !== "EIGHTBYEIGHT_KEEP_ALIVE"
);
const VOICE_VARIABLES = EIGHT_BY_EIGHT_VARIABLES.filter((name) => name.startsWith("EIGHTBYEIGHT_VOICE_"));

/**
 * Validates the environment. Empty values count as unset, as `.env` files often hold `NAME=`.
 * `generateSecret` supplies a throwaway secret for the sandbox when none is configured.
 */
export function loadConfig(environment: Environment, generateSecret: () => string): ConfigResult {
  const env = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ""),
  );
  // Parsed once: compiling zod's fast path for it would cost more start-up time (about 3 ms) than it saves.
  const parsed = schema.safeParse(env, { jitless: true });
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
  problems.push(...sandboxProblems(env), ...oktaAuthProblems(env), ...eightByEightProblems(env));
  if ("REPLAY_STORE" in env && "STATE_STORE" in env && env.REPLAY_STORE !== env.STATE_STORE) {
    problems.push(
      "REPLAY_STORE (the old name of STATE_STORE) and STATE_STORE disagree: keep STATE_STORE only",
    );
  }
  const given = EIGHT_BY_EIGHT_VARIABLES.filter((name) => name in env);
  const onDeploy = isDenoDeploy(env);
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const values = parsed.data;

  const proxy = values.HTTPS_PROXY ?? values.HTTP_PROXY;
  const provider: ProviderConfig = given.length === 0 ? { kind: "sandbox" } : {
    kind: "8x8",
    apiKey: values.EIGHTBYEIGHT_API_KEY!,
    keepAlive: values.EIGHTBYEIGHT_KEEP_ALIVE === undefined
      ? proxy === undefined
      : values.EIGHTBYEIGHT_KEEP_ALIVE === "true",
    sms: {
      baseUrl: values.EIGHTBYEIGHT_SMS_BASE_URL,
      subaccountId: values.EIGHTBYEIGHT_SUBACCOUNT_ID!,
      source: values.EIGHTBYEIGHT_SMS_SOURCE,
    },
    voice: values.EIGHTBYEIGHT_VOICE_SOURCE === undefined ? undefined : {
      baseUrl: values.EIGHTBYEIGHT_VOICE_BASE_URL,
      // Voice needs a voice-enabled subaccount; the SMS one is only a fallback (see the README).
      subaccountId: values.EIGHTBYEIGHT_VOICE_SUBACCOUNT_ID ?? values.EIGHTBYEIGHT_SUBACCOUNT_ID!,
      source: values.EIGHTBYEIGHT_VOICE_SOURCE,
      defaultProfile: values.EIGHTBYEIGHT_VOICE_PROFILE,
    },
  };
  const current = values.OKTA_AUTH_SECRET ?? generateSecret();
  const warnings = [
    ...(env.DENO_DEPLOY !== undefined && !onDeploy
      ? [
        "DENO_DEPLOY is set but DENO_DEPLOYMENT_ID is not, so this is not Deno Deploy: listening on HOST and PORT",
      ]
      : []),
    ...("REPLAY_STORE" in env
      ? ["REPLAY_STORE is deprecated: it is called STATE_STORE now, and still works"]
      : []),
    ...(proxy !== undefined && values.EIGHTBYEIGHT_KEEP_ALIVE === "true"
      ? [
        "EIGHTBYEIGHT_KEEP_ALIVE=true connects to 8x8 directly: the proxy in HTTPS_PROXY/HTTP_PROXY is not used",
      ]
      : []),
  ];
  return {
    ok: true,
    warnings,
    config: {
      // The sandbox is for trying things out: keep it off the network unless HOST says otherwise.
      platformListen: onDeploy,
      hostname: values.HOST ?? (provider.kind === "sandbox" ? "127.0.0.1" : "0.0.0.0"),
      port: values.PORT,
      hookPath: values.OKTA_HOOK_PATH,
      budgetMs: values.OKTA_RESPONSE_BUDGET_MS,
      authHeader: values.OKTA_AUTH_HEADER,
      authSecrets: values.OKTA_AUTH_SECRET_PREVIOUS === undefined
        ? [current]
        : [current, values.OKTA_AUTH_SECRET_PREVIOUS],
      authSecretGenerated: values.OKTA_AUTH_SECRET === undefined,
      oauth: values.OKTA_OAUTH_ISSUER === undefined ? undefined : {
        issuer: values.OKTA_OAUTH_ISSUER,
        audience: values.OKTA_OAUTH_AUDIENCE!,
        scope: values.OKTA_OAUTH_SCOPE,
        clientId: values.OKTA_OAUTH_CLIENT_ID,
      },
      provider,
      abuse: {
        allowedCountries: values.ALLOWED_COUNTRIES,
        blockedCountries: values.BLOCKED_COUNTRIES,
        blockedNumberTypes: values.BLOCKED_NUMBER_TYPES,
        perNumber: values.RATE_LIMIT_PER_NUMBER ?? undefined,
        perUser: values.RATE_LIMIT_PER_USER ?? undefined,
        perCountry: values.RATE_LIMIT_PER_COUNTRY ?? undefined,
      },
      nationalNumberRegion: values.NATIONAL_NUMBER_REGION,
      metricsAuthorization: values.METRICS_AUTH,
      lookupAuthorization: values.DELIVERY_LOOKUP_AUTH,
      receipts: values.EIGHTBYEIGHT_DLR_AUTH === undefined
        ? undefined
        : { path: values.EIGHTBYEIGHT_DLR_PATH, authorization: values.EIGHTBYEIGHT_DLR_AUTH },
      // Deno Deploy runs several instances: their stores must be shared, and the app's KV database is the one
      // `Deno.openKv()` opens there.
      replays: (values.STATE_STORE ?? values.REPLAY_STORE ?? (onDeploy ? "kv" : "memory")) === "kv"
        ? { kind: "kv", url: values.KV_URL }
        : { kind: "memory" },
      storeMemoryBytes: values.STORE_MEMORY_MB === undefined
        ? undefined
        : values.STORE_MEMORY_MB * 1024 * 1024,
      logLevel: values.LOG_LEVEL,
      trustProxy: values.TRUST_PROXY === "true",
      telemetry: {
        disabled: values.OTEL_SDK_DISABLED,
        traces: signalExport(
          values.OTEL_TRACES_EXPORTER,
          values.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
          values.OTEL_EXPORTER_OTLP_ENDPOINT,
          "/v1/traces",
          values.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? values.OTEL_EXPORTER_OTLP_PROTOCOL,
        ),
        metrics: signalExport(
          values.OTEL_METRICS_EXPORTER === "prometheus" ? "none" : values.OTEL_METRICS_EXPORTER,
          values.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
          values.OTEL_EXPORTER_OTLP_ENDPOINT,
          "/v1/metrics",
          values.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? values.OTEL_EXPORTER_OTLP_PROTOCOL,
        ),
        metricExportIntervalMs: values.OTEL_METRIC_EXPORT_INTERVAL,
        propagators: values.OTEL_PROPAGATORS,
        serviceName: values.OTEL_SERVICE_NAME,
        resourceAttributes: values.OTEL_RESOURCE_ATTRIBUTES ?? {},
        sampler: values.OTEL_TRACES_SAMPLER,
        samplerRatio: values.OTEL_TRACES_SAMPLER_ARG,
      },
    },
  };
}

// Deno Deploy sets both, and reserves the DENO_ prefix: anywhere else a stray DENO_DEPLOY=true must not hand
// the listen address to Deno's default (0.0.0.0:8000).
function isDenoDeploy(env: Record<string, string | undefined>): boolean {
  return env.DENO_DEPLOY === "true" && (env.DENO_DEPLOYMENT_ID ?? "") !== "";
}

type Present = Readonly<Record<string, string>>;

// The sandbox answers every passcode SUCCESSFUL and sends none: reachable from elsewhere only on purpose, so a
// misspelled EIGHTBYEIGHT_ variable cannot silently turn a production host into one.
function sandboxProblems(env: Present): string[] {
  const given = EIGHT_BY_EIGHT_VARIABLES.filter((name) => name in env);
  const reachable = isDenoDeploy(env) || (env.HOST !== undefined && !isLoopback(env.HOST));
  if (given.length === 0 && reachable && env.SANDBOX !== "true") {
    return [
      "EIGHTBYEIGHT_API_KEY and EIGHTBYEIGHT_SUBACCOUNT_ID are missing, so this would be the sandbox (every " +
      "passcode answered SUCCESSFUL, none sent) on an address others can reach; set them, or SANDBOX=true " +
      "to run the sandbox there on purpose",
    ];
  }
  if (given.length > 0 && env.SANDBOX === "true") {
    return [`SANDBOX=true cannot be used with 8x8 settings (${given.join(", ")})`];
  }
  return [];
}

// Okta authenticates with a shared secret or with OAuth 2.0, never both, and each needs its parts.
function oktaAuthProblems(env: Present): string[] {
  const problems: string[] = [];
  const oauth = "OKTA_OAUTH_ISSUER" in env;
  const oauthGiven = ["OKTA_OAUTH_AUDIENCE", "OKTA_OAUTH_SCOPE", "OKTA_OAUTH_CLIENT_ID"].filter((name) =>
    name in env
  );
  if (oauth && !("OKTA_OAUTH_AUDIENCE" in env)) {
    problems.push("OKTA_OAUTH_AUDIENCE is required with OKTA_OAUTH_ISSUER");
  }
  if (!oauth && oauthGiven.length > 0) problems.push(`${oauthGiven.join(", ")} need OKTA_OAUTH_ISSUER`);
  if (oauth && ("OKTA_AUTH_SECRET" in env || "OKTA_AUTH_SECRET_PREVIOUS" in env)) {
    problems.push(
      "OKTA_AUTH_SECRET cannot be used with OKTA_OAUTH_ISSUER: Okta authenticates with one or the other",
    );
  }
  if ("OKTA_AUTH_SECRET_PREVIOUS" in env && !("OKTA_AUTH_SECRET" in env)) {
    problems.push("OKTA_AUTH_SECRET_PREVIOUS needs OKTA_AUTH_SECRET: it only extends a rotation");
  }
  return problems;
}

// Any 8x8 setting means sending for real: then the key, the subaccount and Okta's secret are all needed.
function eightByEightProblems(env: Present): string[] {
  const problems: string[] = [];
  const given = EIGHT_BY_EIGHT_VARIABLES.filter((name) => name in env);
  if (given.length > 0) {
    const required = [
      "EIGHTBYEIGHT_API_KEY",
      "EIGHTBYEIGHT_SUBACCOUNT_ID",
      ...("OKTA_OAUTH_ISSUER" in env ? [] : ["OKTA_AUTH_SECRET"]),
    ];
    for (const name of required.filter((name) => !(name in env))) {
      problems.push(`${name} is required when any EIGHTBYEIGHT_ setting is given (${given.join(", ")})`);
    }
  }
  const voiceGiven = VOICE_VARIABLES.filter((name) => name in env);
  if (voiceGiven.length > 0 && !("EIGHTBYEIGHT_VOICE_SOURCE" in env)) {
    problems.push(`EIGHTBYEIGHT_VOICE_SOURCE (the caller ID) is required to use ${voiceGiven.join(", ")}`);
  }
  if (
    "EIGHTBYEIGHT_DLR_PATH" in env && env.EIGHTBYEIGHT_DLR_PATH === (env.OKTA_HOOK_PATH ?? "/telephony-hook")
  ) {
    problems.push("EIGHTBYEIGHT_DLR_PATH must differ from OKTA_HOOK_PATH");
  }
  return problems;
}

// The signal-specific endpoint is used as it is; the generic one gets the signal's path appended.
function signalExport(
  exporter: "otlp" | "console" | "none",
  signalEndpoint: string | undefined,
  endpoint: string | undefined,
  path: string,
  protocol: OtlpProtocol | undefined,
): SignalExport {
  if (exporter !== "otlp") return { kind: exporter };
  const url = signalEndpoint ?? endpoint?.replace(/\/*$/, path);
  return url === undefined
    ? { kind: "none" }
    : { kind: "otlp", endpoint: url, protocol: protocol ?? "http/protobuf" };
}

function isLoopback(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i.test(host);
}

// `key=value,key2=value2`, values percent-encoded as the OpenTelemetry specification says.
function parseResourceAttributes(text: string): Record<string, string> | undefined {
  const attributes: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const equals = pair.indexOf("=");
    if (equals < 1) return undefined;
    try {
      attributes[pair.slice(0, equals).trim()] = decodeURIComponent(pair.slice(equals + 1).trim());
    } catch {
      return undefined;
    }
  }
  return attributes;
}

/** Reads the variables this service knows from the process environment, and nothing else. */
export function readEnvironment(): Environment {
  const environment: Environment = {};
  for (const name of CONFIG_VARIABLES) environment[name] = Deno.env.get(name);
  return environment;
}

/** Every name in the process environment, for `unknownSettingWarnings`; empty when env access is partial. */
export function environmentNames(): string[] {
  return Deno.permissions.querySync({ name: "env" }).state === "granted"
    ? Object.keys(Deno.env.toObject())
    : [];
}

// Prefixes only this service's settings use; OTEL_ is shared with the runtime and other tools, so not listed.
const OWN_PREFIXES = ["OKTA_", "EIGHTBYEIGHT_", "RATE_LIMIT_"];
const KNOWN = new Set<string>(CONFIG_VARIABLES);
const KNOWN_BY_SHAPE = new Map(CONFIG_VARIABLES.map((name) => [shapeOf(name), name]));

/**
 * Names in the environment that look like one of this service's settings but are not, each with a warning that
 * names the setting it was probably meant to be. A misspelled setting is otherwise silently ignored.
 */
export function unknownSettingWarnings(names: Iterable<string>): string[] {
  const warnings: string[] = [];
  for (const name of names) {
    if (KNOWN.has(name)) continue;
    const shape = shapeOf(name);
    let meant = KNOWN_BY_SHAPE.get(shape);
    if (meant === undefined && shape.length >= 6) {
      for (const [knownShape, known] of KNOWN_BY_SHAPE) {
        // Short names are one edit from many unrelated ones (IS_SANDBOX is two from SANDBOX): allow less there.
        const allowed = knownShape.length >= 12 ? 2 : 1;
        if (withinEdits(knownShape, shape, allowed)) {
          meant = known;
          break;
        }
      }
    }
    if (meant !== undefined) {
      warnings.push(`${name} is not a setting of this service: did you mean ${meant}?`);
    } else if (OWN_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      warnings.push(`${name} is not a setting of this service and is ignored (see .env.example)`);
    }
  }
  return warnings;
}

// EIGHT_BY_EIGHT_API_KEY, 8x8_api_key and EightByEight-Api-Key all have the shape of EIGHTBYEIGHT_API_KEY.
function shapeOf(name: string): string {
  return name.toUpperCase().replaceAll("8X8", "EIGHTBYEIGHT").replace(/[^A-Z0-9]/g, "");
}

// Whether the Levenshtein distance is at most `max`. Every name in the environment is compared with every
// setting at start-up, so it stops at the first row whose every cell is already past `max`.
function withinEdits(a: string, b: string, max: number): boolean {
  if (Math.abs(a.length - b.length) > max) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowBest = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
      rowBest = Math.min(rowBest, current[j]!);
    }
    if (rowBest > max) return false;
    [previous, current] = [current, previous];
  }
  return previous[b.length]! <= max;
}
