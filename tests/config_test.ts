import assert from "node:assert/strict";
import { type Environment, loadConfig, unknownSettingWarnings } from "../src/config/config.ts";

const generated = () => "generated-secret-for-sandbox";
const SECRET_16 = "a-long-enough-okta-secret";
const LIVE = {
  OKTA_AUTH_SECRET: "a-long-enough-secret",
  EIGHTBYEIGHT_API_KEY: "key",
  EIGHTBYEIGHT_SUBACCOUNT_ID: "acme_otp",
};

Deno.test("[config] no settings at all is the sandbox on 127.0.0.1:3000 with a generated secret", () => {
  const result = loadConfig({}, generated);
  assert.deepEqual(result, {
    ok: true,
    warnings: [],
    config: {
      platformListen: false,
      hostname: "127.0.0.1",
      port: 3000,
      hookPath: "/telephony-hook",
      budgetMs: 2_500,
      authHeader: "authorization",
      authSecrets: ["generated-secret-for-sandbox"],
      authSecretGenerated: true,
      oauth: undefined,
      provider: { kind: "sandbox" },
      receipts: undefined,
      replays: { kind: "memory" },
      storeMemoryBytes: undefined,
      abuse: {
        allowedCountries: undefined,
        blockedCountries: new Set(),
        blockedNumberTypes: new Set(["PREMIUM_RATE", "SHARED_COST"]),
        perNumber: { max: 5, windowMs: 15 * 60_000 },
        perUser: { max: 10, windowMs: 60 * 60_000 },
        perCountry: undefined,
      },
      nationalNumberRegion: undefined,
      metricsAuthorization: undefined,
      lookupAuthorization: undefined,
      logLevel: "info",
      trustProxy: false,
      telemetry: {
        disabled: false,
        traces: { kind: "none" },
        metrics: { kind: "none" },
        metricExportIntervalMs: 60_000,
        propagators: ["tracecontext", "baggage"],
        serviceName: undefined,
        resourceAttributes: {},
        sampler: "parentbased_always_on",
        samplerRatio: 1,
      },
    },
  });
});

Deno.test("[config] OpenTelemetry's standard variables", async (t) => {
  await t.step("the generic endpoint gets each signal's path, and protobuf is the default protocol", () => {
    const result = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318/" }, generated);
    assert.ok(result.ok);
    assert.deepEqual(result.config.telemetry.traces, {
      kind: "otlp",
      endpoint: "http://127.0.0.1:4318/v1/traces",
      protocol: "http/protobuf",
    });
    assert.deepEqual(result.config.telemetry.metrics, {
      kind: "otlp",
      endpoint: "http://127.0.0.1:4318/v1/metrics",
      protocol: "http/protobuf",
    });
  });
  await t.step("a signal's endpoint and protocol are used as they are, and win", () => {
    const result = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://collector.example/otlp/traces",
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/protobuf",
    }, generated);
    assert.ok(result.ok);
    assert.deepEqual(result.config.telemetry.traces, {
      kind: "otlp",
      endpoint: "https://collector.example/otlp/traces",
      protocol: "http/json",
    });
    assert.deepEqual(result.config.telemetry.metrics, {
      kind: "otlp",
      endpoint: "http://127.0.0.1:4318/v1/metrics",
      protocol: "http/protobuf",
    });
  });
  await t.step("exporters, propagators, export interval and log level", () => {
    const result = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      OTEL_TRACES_EXPORTER: "console",
      OTEL_METRICS_EXPORTER: "prometheus",
      OTEL_METRIC_EXPORT_INTERVAL: "15000",
      OTEL_PROPAGATORS: "tracecontext",
      LOG_LEVEL: "WARN",
      TRUST_PROXY: "true",
    }, generated);
    assert.ok(result.ok);
    assert.deepEqual(result.config.telemetry.traces, { kind: "console" });
    assert.deepEqual(result.config.telemetry.metrics, { kind: "none" });
    assert.equal(result.config.telemetry.metricExportIntervalMs, 15_000);
    assert.deepEqual(result.config.telemetry.propagators, ["tracecontext"]);
    assert.equal(result.config.logLevel, "warn");
    assert.equal(result.config.trustProxy, true);
    const none = loadConfig({ OTEL_PROPAGATORS: "none", OTEL_TRACES_EXPORTER: "none" }, generated);
    assert.ok(none.ok && none.config.telemetry.propagators.length === 0);
  });
  await t.step("gRPC, unknown exporters and propagators, and unknown levels are configuration errors", () => {
    const result = loadConfig({
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_TRACES_EXPORTER: "zipkin",
      OTEL_METRICS_EXPORTER: "statsd",
      OTEL_PROPAGATORS: "tracecontext,b3",
      LOG_LEVEL: "verbose",
    }, generated);
    assert.ok(!result.ok);
    assert.deepEqual(result.problems.map((problem) => problem.split(" ")[0]).sort(), [
      "LOG_LEVEL",
      "OTEL_EXPORTER_OTLP_PROTOCOL",
      "OTEL_METRICS_EXPORTER",
      "OTEL_PROPAGATORS",
      "OTEL_TRACES_EXPORTER",
    ]);
    assert.match(result.problems.join("\n"), /gRPC is not supported/);
  });
  await t.step("resource attributes, sampler and disabling", () => {
    const result = loadConfig({
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=prod,team=id%20ops",
      OTEL_SERVICE_NAME: "otp-hook",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
      OTEL_SDK_DISABLED: "TRUE",
    }, generated);
    assert.ok(result.ok);
    assert.deepEqual(result.config.telemetry, {
      disabled: true,
      traces: { kind: "none" },
      metrics: { kind: "none" },
      metricExportIntervalMs: 60_000,
      propagators: ["tracecontext", "baggage"],
      serviceName: "otp-hook",
      resourceAttributes: { "deployment.environment.name": "prod", team: "id ops" },
      sampler: "parentbased_traceidratio",
      samplerRatio: 0.25,
    });
  });
  await t.step("bad values are listed", () => {
    const result = loadConfig({
      OTEL_TRACES_SAMPLER: "sometimes",
      OTEL_TRACES_SAMPLER_ARG: "2",
      OTEL_RESOURCE_ATTRIBUTES: "novalue",
      OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318",
    }, generated);
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.problems.map((problem) => problem.split(" ")[0]).sort(), [
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "OTEL_RESOURCE_ATTRIBUTES",
      "OTEL_TRACES_SAMPLER",
      "OTEL_TRACES_SAMPLER_ARG",
    ]);
  });
});

Deno.test("[config] 8x8 settings select 8x8, listening on all interfaces by default", () => {
  const result = loadConfig(
    { ...LIVE, OKTA_AUTH_SECRET_PREVIOUS: "the-previous-secret", PORT: "8080" },
    generated,
  );
  assert.ok(result.ok);
  assert.equal(result.config.hostname, "0.0.0.0");
  assert.equal(result.config.port, 8080);
  assert.deepEqual(result.config.authSecrets, ["a-long-enough-secret", "the-previous-secret"]);
  assert.equal(result.config.authSecretGenerated, false);
  assert.deepEqual(result.config.provider, {
    kind: "8x8",
    apiKey: "key",
    keepAlive: true,
    sms: { baseUrl: "https://sms.8x8.com", subaccountId: "acme_otp", source: undefined },
    voice: undefined,
  });
});

Deno.test("[config] voice is on with a caller ID; its subaccount falls back to the SMS one", async (t) => {
  await t.step("defaults", () => {
    const result = loadConfig({ ...LIVE, EIGHTBYEIGHT_VOICE_SOURCE: "+6588000000" }, generated);
    assert.ok(result.ok && result.config.provider.kind === "8x8");
    assert.deepEqual(result.config.provider.voice, {
      baseUrl: "https://voice.8x8.com",
      subaccountId: "acme_otp",
      source: "+6588000000",
      defaultProfile: "en-US-Jenny",
    });
  });
  await t.step("everything given", () => {
    const result = loadConfig({
      ...LIVE,
      EIGHTBYEIGHT_VOICE_SOURCE: "6588000000",
      EIGHTBYEIGHT_VOICE_SUBACCOUNT_ID: "acme_voice",
      EIGHTBYEIGHT_VOICE_BASE_URL: "https://voice.wavecell.com/",
      EIGHTBYEIGHT_VOICE_PROFILE: "en-GB-Emma",
    }, generated);
    assert.ok(result.ok && result.config.provider.kind === "8x8");
    assert.deepEqual(result.config.provider.voice, {
      baseUrl: "https://voice.wavecell.com",
      subaccountId: "acme_voice",
      source: "6588000000",
      defaultProfile: "en-GB-Emma",
    });
  });
  await t.step("voice settings without a caller ID, or a bad one, are errors", () => {
    const missing = loadConfig({ ...LIVE, EIGHTBYEIGHT_VOICE_PROFILE: "en-GB-Emma" }, generated);
    assert.ok(
      !missing.ok && /EIGHTBYEIGHT_VOICE_SOURCE \(the caller ID\) is required/.test(missing.problems[0]!),
    );
    const bad = loadConfig({ ...LIVE, EIGHTBYEIGHT_VOICE_SOURCE: "0800 FLOWERS" }, generated);
    assert.ok(!bad.ok && /EIGHTBYEIGHT_VOICE_SOURCE/.test(bad.problems[0]!));
  });
});

Deno.test("[config] empty values count as unset, as in a .env file with NAME=", () => {
  const result = loadConfig({ EIGHTBYEIGHT_API_KEY: "", OKTA_AUTH_SECRET: "", PORT: "" }, generated);
  assert.ok(result.ok);
  assert.equal(result.config.provider.kind, "sandbox");
  assert.equal(result.config.port, 3000);
});

Deno.test("[config] partial or invalid settings are errors that list every problem, never a silent sandbox", async (t) => {
  const cases: [string, Record<string, string>, RegExp[]][] = [
    ["only an API key", { EIGHTBYEIGHT_API_KEY: "key" }, [
      /EIGHTBYEIGHT_SUBACCOUNT_ID is required/,
      /OKTA_AUTH_SECRET is required/,
    ]],
    ["only a sender", { EIGHTBYEIGHT_SMS_SOURCE: "Acme" }, [
      /EIGHTBYEIGHT_API_KEY is required/,
      /EIGHTBYEIGHT_SUBACCOUNT_ID is required/,
      /OKTA_AUTH_SECRET is required/,
    ]],
    ["bad port and a partial 8x8", {
      PORT: "x",
      EIGHTBYEIGHT_API_KEY: "k",
      EIGHTBYEIGHT_SUBACCOUNT_ID: "acme",
    }, [
      /^PORT/,
      /OKTA_AUTH_SECRET is required/,
    ]],
    ["short secret", { ...LIVE, OKTA_AUTH_SECRET: "1234" }, [/OKTA_AUTH_SECRET must be at least 16/]],
    ["secret with spaces", { ...LIVE, OKTA_AUTH_SECRET: " a-long-enough-secret" }, [/whitespace/]],
    ["plain http 8x8", { ...LIVE, EIGHTBYEIGHT_SMS_BASE_URL: "http://sms.8x8.com" }, [
      /EIGHTBYEIGHT_SMS_BASE_URL/,
    ]],
    ["long sender", { ...LIVE, EIGHTBYEIGHT_SMS_SOURCE: "x".repeat(17) }, [/at most 16/]],
    ["bad subaccount", { ...LIVE, EIGHTBYEIGHT_SUBACCOUNT_ID: "a/b" }, [/EIGHTBYEIGHT_SUBACCOUNT_ID/]],
    ["bad port", { PORT: "http" }, [/^PORT/]],
    ["bad path", { OKTA_HOOK_PATH: "hook" }, [/OKTA_HOOK_PATH/]],
    ["bad header", { OKTA_AUTH_HEADER: "x okta" }, [/OKTA_AUTH_HEADER/]],
    ["previous without current", { OKTA_AUTH_SECRET_PREVIOUS: "the-previous-secret" }, [
      /needs OKTA_AUTH_SECRET/,
    ]],
    ["two bad values", { PORT: "-1", OKTA_HOOK_PATH: "x" }, [/^PORT/, /OKTA_HOOK_PATH/]],
  ];
  for (const [name, environment, expected] of cases) {
    await t.step(name, () => {
      const result = loadConfig(environment, generated);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.problems.length, expected.length, result.problems.join("\n"));
      expected.forEach((pattern, index) => assert.match(result.problems[index]!, pattern));
      for (const value of Object.values(environment)) {
        if (value.length > 8) assert.ok(!result.problems.join().includes(value), "a problem quotes a value");
      }
    });
  }
});

Deno.test("[config] a loopback http base URL is allowed for a local fake, with a trailing slash trimmed", () => {
  const result = loadConfig({ ...LIVE, EIGHTBYEIGHT_SMS_BASE_URL: "http://127.0.0.1:8080/" }, generated);
  assert.ok(result.ok);
  assert.equal(
    result.config.provider.kind === "8x8" && result.config.provider.sms.baseUrl,
    "http://127.0.0.1:8080",
  );
});

Deno.test("[config] abuse settings: countries, number types and N/<duration> limits", async (t) => {
  await t.step("given", () => {
    const result = loadConfig({
      ALLOWED_COUNTRIES: "us, sg",
      BLOCKED_COUNTRIES: "ru",
      BLOCKED_NUMBER_TYPES: "premium_rate,voip",
      RATE_LIMIT_PER_NUMBER: "3/10m",
      RATE_LIMIT_PER_USER: "off",
      RATE_LIMIT_PER_COUNTRY: "500/h",
    }, generated);
    assert.ok(result.ok);
    assert.deepEqual(result.config.abuse, {
      allowedCountries: new Set(["US", "SG"]),
      blockedCountries: new Set(["RU"]),
      blockedNumberTypes: new Set(["PREMIUM_RATE", "VOIP"]),
      perNumber: { max: 3, windowMs: 600_000 },
      perUser: undefined,
      perCountry: { max: 500, windowMs: 3_600_000 },
    });
  });
  await t.step("none blocks no type", () => {
    const result = loadConfig({ BLOCKED_NUMBER_TYPES: "none" }, generated);
    assert.ok(result.ok);
    assert.deepEqual(result.config.abuse.blockedNumberTypes, new Set());
  });
  await t.step("bad values are listed", () => {
    const result = loadConfig({
      ALLOWED_COUNTRIES: "USA",
      BLOCKED_NUMBER_TYPES: "EXPENSIVE",
      RATE_LIMIT_PER_NUMBER: "five per minute",
      RATE_LIMIT_PER_USER: "0/1m",
      // A zero window would never limit anything.
      RATE_LIMIT_PER_COUNTRY: "2/0m",
    }, generated);
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.problems.map((problem) => problem.split(" ")[0]).sort(), [
      "ALLOWED_COUNTRIES",
      "BLOCKED_NUMBER_TYPES",
      "RATE_LIMIT_PER_COUNTRY",
      "RATE_LIMIT_PER_NUMBER",
      "RATE_LIMIT_PER_USER",
    ]);
  });
});

Deno.test("[config] OAuth hook authentication replaces the header secret", async (t) => {
  const oauth = {
    OKTA_OAUTH_ISSUER: "https://acme.okta.com/oauth2/default/",
    OKTA_OAUTH_AUDIENCE: "api://default",
    OKTA_OAUTH_SCOPE: "okta.telephony.hook",
  };
  await t.step("with 8x8, no secret is needed", () => {
    const { OKTA_AUTH_SECRET: _secret, ...live } = LIVE;
    const result = loadConfig({ ...live, ...oauth }, generated);
    assert.ok(result.ok);
    assert.deepEqual(result.config.oauth, {
      issuer: "https://acme.okta.com/oauth2/default",
      audience: "api://default",
      scope: "okta.telephony.hook",
      clientId: undefined,
    });
  });
  await t.step("both methods at once, or OAuth without an audience, are errors", () => {
    const both = loadConfig({ ...LIVE, ...oauth }, generated);
    assert.ok(
      !both.ok && both.problems.some((problem) => /cannot be used with OKTA_OAUTH_ISSUER/.test(problem)),
    );
    const noAudience = loadConfig({ OKTA_OAUTH_ISSUER: oauth.OKTA_OAUTH_ISSUER }, generated);
    assert.ok(!noAudience.ok && /OKTA_OAUTH_AUDIENCE is required/.test(noAudience.problems[0]!));
    const plainHttp = loadConfig(
      { ...oauth, OKTA_OAUTH_ISSUER: "http://acme.okta.com/oauth2/default" },
      generated,
    );
    assert.ok(!plainHttp.ok && /OKTA_OAUTH_ISSUER/.test(plainHttp.problems[0]!));
    const stray = loadConfig({ OKTA_OAUTH_SCOPE: "x" }, generated);
    assert.ok(!stray.ok && /need OKTA_OAUTH_ISSUER/.test(stray.problems[0]!));
  });
});

Deno.test("[config] delivery receipts are on with EIGHTBYEIGHT_DLR_AUTH, on a path apart from the hook", () => {
  const on = loadConfig({ EIGHTBYEIGHT_DLR_AUTH: "Bearer dlr-webhook-token-0123456789" }, generated);
  assert.ok(on.ok);
  assert.deepEqual(on.config.receipts, {
    path: "/8x8/delivery-receipts",
    authorization: "Bearer dlr-webhook-token-0123456789",
  });
  const clash = loadConfig({
    EIGHTBYEIGHT_DLR_AUTH: "Bearer dlr-webhook-token-0123456789",
    EIGHTBYEIGHT_DLR_PATH: "/telephony-hook",
  }, generated);
  assert.ok(!clash.ok && /must differ from OKTA_HOOK_PATH/.test(clash.problems[0]!));
  const short = loadConfig({ EIGHTBYEIGHT_DLR_AUTH: "short" }, generated);
  assert.ok(!short.ok && /EIGHTBYEIGHT_DLR_AUTH must be at least 16/.test(short.problems[0]!));
});

Deno.test("[config] STORE_MEMORY_MB sets the memory stores' budget in MiB, and must be a whole number", () => {
  const set = loadConfig({ STORE_MEMORY_MB: "64" }, generated);
  assert.equal(set.ok && set.config.storeMemoryBytes, 64 * 1024 * 1024);
  const wrong = loadConfig({ STORE_MEMORY_MB: "lots" }, generated);
  assert.ok(!wrong.ok && wrong.problems.some((problem) => problem.startsWith("STORE_MEMORY_MB")));
});

Deno.test("[config] country rules take ISO codes and country calling codes", () => {
  const result = loadConfig({ ALLOWED_COUNTRIES: "us, +881", BLOCKED_COUNTRIES: "+44" }, generated);
  assert.ok(result.ok);
  assert.deepEqual(result.config.abuse.allowedCountries, new Set(["US", "+881"]));
  assert.deepEqual(result.config.abuse.blockedCountries, new Set(["+44"]));
  const wrong = loadConfig({ BLOCKED_COUNTRIES: "+0,+1234" }, generated);
  assert.ok(!wrong.ok && wrong.problems.some((problem) => problem.startsWith("BLOCKED_COUNTRIES")));
});

Deno.test("[config] the sandbox is never reachable from elsewhere by accident", async (t) => {
  await t.step("no 8x8 settings and HOST=0.0.0.0 (a misspelled variable, say) refuses to start", () => {
    const result = loadConfig({ HOST: "0.0.0.0", EIGHT_BY_EIGHT_API_KEY: "typo" } as Environment, generated);
    assert.ok(!result.ok && result.problems.some((problem) => problem.includes("SANDBOX=true")));
  });
  await t.step("nor on Deno Deploy", () => {
    const result = loadConfig(
      { DENO_DEPLOY: "true", DENO_DEPLOYMENT_ID: "abc123", OKTA_AUTH_SECRET: SECRET_16 },
      generated,
    );
    assert.ok(!result.ok && result.problems.some((problem) => problem.includes("sandbox")));
  });
  await t.step("on loopback, or with SANDBOX=true, it is a choice", () => {
    for (const env of [{}, { HOST: "127.0.0.1" }, { HOST: "::1" }, { HOST: "0.0.0.0", SANDBOX: "true" }]) {
      const result = loadConfig(env as Environment, generated);
      assert.ok(result.ok && result.config.provider.kind === "sandbox", JSON.stringify(env));
    }
  });
  await t.step("SANDBOX=true with 8x8 settings is a contradiction", () => {
    const result = loadConfig({
      SANDBOX: "true",
      EIGHTBYEIGHT_API_KEY: "key",
      EIGHTBYEIGHT_SUBACCOUNT_ID: "acme_otp",
      OKTA_AUTH_SECRET: SECRET_16,
    }, generated);
    assert.ok(!result.ok && result.problems.some((problem) => problem.startsWith("SANDBOX=true cannot")));
  });
});

Deno.test("[config] Deno Deploy is recognised by what it sets, not by DENO_DEPLOY alone", async (t) => {
  await t.step(
    "DENO_DEPLOY and DENO_DEPLOYMENT_ID together: the platform picks the address, KV holds the stores",
    () => {
      const result = loadConfig({ ...LIVE, DENO_DEPLOY: "true", DENO_DEPLOYMENT_ID: "d3pl0y" }, generated);
      assert.ok(result.ok);
      assert.equal(result.config.platformListen, true);
      assert.deepEqual(result.config.replays, { kind: "kv", url: undefined });
      assert.deepEqual(result.warnings, []);
      const memory = loadConfig(
        { ...LIVE, DENO_DEPLOY: "true", DENO_DEPLOYMENT_ID: "d3pl0y", STATE_STORE: "memory" },
        generated,
      );
      assert.ok(memory.ok && memory.config.replays.kind === "memory", "STATE_STORE=memory still wins");
    },
  );
  await t.step("DENO_DEPLOY=true alone (a copied .env, say): HOST and PORT, with a warning", () => {
    const result = loadConfig({ ...LIVE, DENO_DEPLOY: "true", HOST: "127.0.0.1", PORT: "4100" }, generated);
    assert.ok(result.ok);
    assert.equal(result.config.platformListen, false);
    assert.equal(result.config.port, 4100);
    assert.match(result.warnings.join("\n"), /DENO_DEPLOYMENT_ID is not, so this is not Deno Deploy/);
  });
  await t.step(
    "and without the sandbox guard loosening: no 8x8 settings on loopback is still the sandbox",
    () => {
      const result = loadConfig({ DENO_DEPLOY: "true" }, generated);
      assert.ok(result.ok && result.config.provider.kind === "sandbox" && !result.config.platformListen);
    },
  );
});

Deno.test("[config] names that look like settings but are not get a warning that names the setting meant", () => {
  const warnings = unknownSettingWarnings([
    "EIGHT_BY_EIGHT_API_KEY",
    "8x8_SUBACCOUNT_ID",
    "OKTA_AUTH_SECRT",
    "RATE_LIMIT_PER_NUMBR",
    "OKTA_ORG_URL",
    // What every environment holds, and the runtime's own OTEL_ names: no warning.
    "IS_SANDBOX",
    "HOSTNAME",
    "PATH",
    "HOME",
    "OTEL_DENO",
    "DENO_DIR",
    // Real settings: no warning.
    "EIGHTBYEIGHT_API_KEY",
    "OKTA_AUTH_SECRET",
  ]);
  assert.deepEqual(warnings, [
    "EIGHT_BY_EIGHT_API_KEY is not a setting of this service: did you mean EIGHTBYEIGHT_API_KEY?",
    "8x8_SUBACCOUNT_ID is not a setting of this service: did you mean EIGHTBYEIGHT_SUBACCOUNT_ID?",
    "OKTA_AUTH_SECRT is not a setting of this service: did you mean OKTA_AUTH_SECRET?",
    "RATE_LIMIT_PER_NUMBR is not a setting of this service: did you mean RATE_LIMIT_PER_NUMBER?",
    "OKTA_ORG_URL is not a setting of this service and is ignored (see .env.example)",
  ]);
});

Deno.test("[config] REPLAY_STORE, the old name of STATE_STORE, still works with a warning, and must not contradict it", () => {
  const old = loadConfig({ ...LIVE, REPLAY_STORE: "kv" }, generated);
  assert.ok(old.ok);
  assert.equal(old.config.replays.kind, "kv");
  assert.match(old.warnings.join("\n"), /REPLAY_STORE is deprecated: it is called STATE_STORE now/);
  const both = loadConfig({ ...LIVE, REPLAY_STORE: "kv", STATE_STORE: "memory" }, generated);
  assert.ok(!both.ok && both.problems.some((problem) => problem.includes("disagree")));
});

Deno.test("[config] connections to 8x8 are kept alive unless a proxy is set or EIGHTBYEIGHT_KEEP_ALIVE says no", async (t) => {
  const cases: [string, Environment, boolean, RegExp | undefined][] = [
    ["default", {}, true, undefined],
    ["off", { EIGHTBYEIGHT_KEEP_ALIVE: "false" }, false, undefined],
    // The kept-alive client connects directly; `fetch` honours the proxy.
    ["HTTPS_PROXY", { HTTPS_PROXY: "http://proxy.internal:3128" }, false, undefined],
    ["HTTP_PROXY", { HTTP_PROXY: "http://proxy.internal:3128" }, false, undefined],
    [
      "forced on beside a proxy",
      { HTTPS_PROXY: "http://proxy.internal:3128", EIGHTBYEIGHT_KEEP_ALIVE: "true" },
      true,
      /EIGHTBYEIGHT_KEEP_ALIVE=true connects to 8x8 directly/,
    ],
  ];
  for (const [name, env, keepAlive, warning] of cases) {
    await t.step(name, () => {
      const result = loadConfig({ ...LIVE, ...env }, generated);
      assert.ok(result.ok);
      assert.equal(result.config.provider.kind === "8x8" && result.config.provider.keepAlive, keepAlive);
      if (warning === undefined) assert.deepEqual(result.warnings, []);
      else assert.match(result.warnings.join("\n"), warning);
    });
  }
  await t.step("it alone does not turn the sandbox off, and it must be true or false", () => {
    const sandbox = loadConfig({ EIGHTBYEIGHT_KEEP_ALIVE: "false" }, generated);
    assert.ok(sandbox.ok);
    assert.equal(sandbox.config.provider.kind, "sandbox");
    const wrong = loadConfig({ ...LIVE, EIGHTBYEIGHT_KEEP_ALIVE: "yes" }, generated);
    assert.ok(!wrong.ok);
    assert.match(wrong.problems.join(), /EIGHTBYEIGHT_KEEP_ALIVE must be true or false/);
  });
});

Deno.test("[config] the 8x8 API key goes into a header as it is: spaces and line breaks are refused", () => {
  for (const key of ["key with space", "key\r\nx-injected: 1", "kéy"]) {
    const result = loadConfig({ ...LIVE, EIGHTBYEIGHT_API_KEY: key }, generated);
    assert.ok(!result.ok, JSON.stringify(key));
    assert.match(result.problems.join(), /EIGHTBYEIGHT_API_KEY must be printable ASCII without spaces/);
  }
});
