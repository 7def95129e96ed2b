// A fake 8x8 on loopback, built from 8x8's OpenAPI files: SMS requests are checked against the published
// `SmsRequest` schema and path rules, voice callflows against the Voice API's, and both are answered with the
// documented examples.
import {
  makeCallFirst,
  voiceAnswer,
  voiceExample,
  voiceInvalid,
  type VoiceScenario,
  voiceViolations,
} from "./fake_8x8_voice.ts";
import type { SentMessage } from "./fake_8x8_receipts.ts";
import { resolve, type Schema, violations } from "./json_schema.ts";

const SMS_API = JSON.parse(
  Deno.readTextFileSync(new URL("../contracts/8x8/sms_api.json", import.meta.url)),
);
const SEND = SMS_API.paths["/api/v1/subaccounts/{subAccountId}/messages"].post;
const SMS_REQUEST: Schema = SEND.requestBody.content["application/json"].schema;
const SUBACCOUNT_PATTERN = new RegExp(SEND.parameters[0].schema.pattern);
const PRICES = SMS_API.paths["/api/v1/accounts/{accountId}/prices"].get;
const ROUTE = /^\/api\/v1\/subaccounts\/([^/]+)\/messages$/;

/** How the fake answers the next sends. */
export type Fake8x8Scenario =
  | "queued"
  | "rejected"
  | "invalid_msisdn"
  | "unauthenticated"
  | "rate_limited"
  | "server_error"
  | "tls_required"
  | "unreadable"
  | "unavailable"
  | "bad_gateway"
  | "gateway_timeout"
  | "hang"
  | "held"
  | "slow"
  | VoiceScenario;

/** How long a "slow" send takes: 8x8 on a bad day, well inside Okta's budget. */
export const SLOW_ANSWER_MS = 500;

/** One request as the fake saw it. */
export interface RecordedRequest {
  /** Which 8x8 API was called. */
  readonly api: "sms" | "voice";
  readonly method: string;
  readonly path: string;
  readonly headers: Headers;
  readonly body: unknown;
  /** Ways the request broke 8x8's contract; empty for a correct call. */
  readonly violations: readonly string[];
}

/** A running fake. */
export interface Fake8x8 {
  readonly url: string;
  readonly apiKey: string;
  readonly subaccountId: string;
  readonly voiceSubaccountId: string;
  readonly requests: readonly RecordedRequest[];
  /** How many requests arrived, kept or not. */
  readonly received: number;
  /** Every SMS the fake accepted, with the umid it gave it: what delivery receipts are about. */
  readonly sent: readonly SentMessage[];
  /** Answers every following send this way (default "queued"). */
  answerWith(scenario: Fake8x8Scenario): void;
  /** Answers the next sends with these, in order, before going back to the standing scenario. */
  answerNext(...scenarios: Fake8x8Scenario[]): void;
  /** Lets every "held" request go on to be answered as "queued". */
  releaseHeld(): void;
  /** Resolves when the next request arrives, before it is answered. */
  nextRequest(): Promise<RecordedRequest>;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 with a free port. */
export function startFake8x8(
  options: {
    apiKey?: string;
    subaccountId?: string;
    /** False for load runs: requests are counted but not kept, so the fake's memory stays flat. Default true. */
    keep?: boolean;
  } = {},
): Fake8x8 {
  const keep = options.keep ?? true;
  let received = 0;
  const apiKey = options.apiKey ?? "fake-8x8-api-key-0123456789";
  const subaccountId = options.subaccountId ?? "acme_otp";
  const voiceSubaccountId = "acme_voice";
  const requests: RecordedRequest[] = [];
  const sent: SentMessage[] = [];
  const waiters: ((request: RecordedRequest) => void)[] = [];
  const hanging: ((value: unknown) => void)[] = [];
  const held: (() => void)[] = [];
  const upcoming: Fake8x8Scenario[] = [];
  let standing: Fake8x8Scenario = "queued";

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const recorded = await record(request, subaccountId, voiceSubaccountId);
    received++;
    if (keep) requests.push(recorded);
    waiters.splice(0).forEach((wake) => wake(recorded));
    const voice = recorded.api === "voice";
    if (request.headers.get("authorization") !== `Bearer ${apiKey}`) {
      return voice ? Response.json(voiceExample(401), { status: 401 }) : documentedError(401);
    }
    if (recorded.violations.length > 0) {
      return voice ? voiceInvalid(recorded.violations) : invalidRequest(recorded.violations);
    }
    if (voice) {
      const refused = makeCallFirst(recorded.body);
      if (refused !== undefined) return refused;
    }
    let scenario = upcoming.shift() ?? standing;
    if (scenario === "hang") {
      // Never answers while running: the caller's deadline must end the call. Released on close.
      await new Promise((release) => hanging.push(release));
      return new Response(null, { status: 503 });
    }
    if (scenario === "held") {
      // A slow 8x8: answers only when the test says so.
      await new Promise<void>((release) => held.push(release));
      scenario = "queued";
    }
    if (scenario === "slow") {
      await new Promise((resolve) => setTimeout(resolve, SLOW_ANSWER_MS));
      scenario = "queued";
    }
    const response = (voice ? voiceAnswer(scenario) : undefined) ?? answer(scenario, recorded);
    if (keep && !voice && scenario === "queued") {
      const { umid } = await response.clone().json();
      sent.push({ umid, subAccountId: subaccountId, body: recorded.body as SentMessage["body"] });
    }
    return response;
  });

  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    apiKey,
    subaccountId,
    voiceSubaccountId,
    requests,
    get received() {
      return received;
    },
    sent,
    answerWith: (next) => void (standing = next),
    answerNext: (...next) => void upcoming.push(...next),
    releaseHeld: () => held.splice(0).forEach((release) => release()),
    nextRequest: () => new Promise((wake) => waiters.push(wake)),
    close: () => {
      hanging.splice(0).forEach((release) => release(undefined));
      held.splice(0).forEach((release) => release());
      return server.shutdown();
    },
  };
}

async function record(
  request: Request,
  subaccountId: string,
  voiceSubaccountId: string,
): Promise<RecordedRequest> {
  const path = new URL(request.url).pathname;
  if (path.endsWith("/callflows")) {
    let body: unknown;
    const found: string[] = [];
    try {
      body = JSON.parse(await request.text());
      found.push(...voiceViolations(path, voiceSubaccountId, body));
    } catch {
      found.push("body is not JSON");
    }
    return { api: "voice", method: request.method, path, headers: request.headers, body, violations: found };
  }
  const found: string[] = [];
  const match = ROUTE.exec(path);
  if (request.method !== "POST") found.push(`method ${request.method} is not POST`);
  if (match === null) found.push(`path ${path} is not /api/v1/subaccounts/{subAccountId}/messages`);
  else if (!SUBACCOUNT_PATTERN.test(decodeURIComponent(match[1]!))) {
    found.push("subAccountId breaks its pattern");
  } else if (decodeURIComponent(match[1]!) !== subaccountId) {
    found.push("subAccountId is not the configured one");
  }
  if (!request.headers.get("content-type")?.startsWith("application/json")) {
    found.push("content-type is not JSON");
  }
  let body: unknown;
  try {
    body = JSON.parse(await request.text());
    found.push(...violations(SMS_API, SMS_REQUEST, body));
  } catch {
    found.push("body is not JSON");
  }
  return { api: "sms", method: request.method, path, headers: request.headers, body, violations: found };
}

function answer(
  scenario: Exclude<Fake8x8Scenario, "hang" | "held" | "slow">,
  recorded: RecordedRequest,
): Response {
  const sent = recorded.body as { destination: string; clientMessageId?: string };
  switch (scenario) {
    case "queued":
    case "rejected": {
      const example = SEND.responses["200"].content["application/json"].examples.response.value;
      const status = scenario === "queued" ? example.status : {
        code: "REJECTED",
        description: "SMS is rejected: destination is not allowed for this subaccount",
      };
      return Response.json({
        ...example,
        umid: crypto.randomUUID(),
        clientMessageId: sent.clientMessageId,
        destination: sent.destination.replace(/^\+/, ""),
        status,
      });
    }
    case "invalid_msisdn":
      return documentedError(400);
    case "unauthenticated":
      return documentedError(401);
    case "rate_limited":
      return documentedError(429, { "retry-after": "1" });
    case "server_error":
      return documentedError(500);
    case "tls_required":
      return documentedError(426, { upgrade: "TLS/1.3" });
    // Gateways in front of 8x8 answer these, with their own bodies rather than 8x8's error shape.
    case "unavailable":
      return new Response("Service Unavailable", { status: 503, headers: { "content-type": "text/plain" } });
    case "bad_gateway":
      return new Response("<html>502 Bad Gateway</html>", {
        status: 502,
        headers: { "content-type": "text/html" },
      });
    case "gateway_timeout":
      return new Response("<html>504 Gateway Time-out</html>", {
        status: 504,
        headers: { "content-type": "text/html" },
      });
    case "unreadable":
      return new Response("<html>gateway</html>", { status: 200, headers: { "content-type": "text/html" } });
    default:
      throw new Error(`${scenario} is a voice answer, and this was an SMS`);
  }
}

// 8x8 documents its error examples once, on the price list operation, and points every other operation there.
function documentedError(status: number, headers: Record<string, string> = {}): Response {
  const response = resolve(
    SMS_API,
    `#/paths/~1api~1v1~1accounts~1%7BaccountId%7D~1prices/get/responses/${status}`,
  );
  const example =
    (response as { content: Record<string, { example: unknown }> }).content["application/json"]!.example;
  return Response.json(example, { status, headers });
}

function invalidRequest(found: readonly string[]): Response {
  const example = PRICES.responses["400"].content["application/json"].example;
  return Response.json({ ...example, message: found.join("; ") }, { status: 400 });
}

/** Runs `test` against a fresh fake 8x8 and always closes it. */
export async function withFake8x8(test: (fake: Fake8x8) => Promise<void>): Promise<void> {
  const fake = startFake8x8();
  try {
    await test(fake);
  } finally {
    await fake.close();
  }
}
