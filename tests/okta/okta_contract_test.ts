// Pins our answers to Okta's published sample responses and schema, and our parsing to Okta's sample request.
import assert from "node:assert/strict";
import { parseOktaRequest } from "../../src/okta/okta_request.ts";
import { toOktaResponse } from "../../src/okta/okta_response.ts";
import { type Delivery, failed } from "../../src/domain/delivery.ts";
import { oktaRequest, PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";

const contract = (name: string) =>
  Deno.readTextFileSync(new URL(`../contracts/okta/${name}`, import.meta.url));
const SUCCESS_SAMPLE = JSON.parse(contract("response-successful.json"));
const SCHEMA_TEXT = contract("telephony-hook.openapi-extract.yaml");
// The status enum as Okta's OpenAPI extract lists it.
const STATUSES = /status:\s*\n\s*type: string[\s\S]*?enum:\s*\n((?:\s*- \w+\n)+)/.exec(SCHEMA_TEXT)![1]!
  .split("\n").map((line) => line.replace(/^\s*- /, "").trim()).filter(Boolean);

const OUTCOMES: Delivery[] = [
  {
    outcome: "delivered",
    provider: "8x8",
    transactionId: "bda3d56d-1424-e711-813c-06ed3428fe67",
    metadata: { status: "QUEUED" },
  },
  failed("provider_rejected", { provider: "8x8", metadata: { httpStatus: "400", code: "1002" } }),
  failed("invalid_phone_number"),
  { outcome: "unknown", reason: "timeout", provider: "8x8", metadata: {} },
];

/** The shape of a JSON value: objects by their keys, arrays by their items, leaves by their type. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).sort().map(([k, v]) => [k, shapeOf(v)]));
  }
  return typeof value;
}

Deno.test("[okta contract] the schema's statuses are the three we may answer", () => {
  assert.deepEqual(STATUSES, ["SUCCESSFUL", "PENDING", "FAILED"]);
});

Deno.test("[okta contract] every outcome answers in exactly the shape of Okta's successful sample", async (t) => {
  for (const delivery of OUTCOMES) {
    await t.step(
      `${delivery.outcome}${delivery.outcome === "delivered" ? "" : ` ${delivery.reason}`}`,
      () => {
        const answer = toOktaResponse(delivery, "evt-1");
        assert.deepEqual(shapeOf(answer), shapeOf(SUCCESS_SAMPLE));
        const action = answer.commands[0].value[0];
        assert.equal(answer.commands[0].type, SUCCESS_SAMPLE.commands[0].type);
        assert.ok(STATUSES.includes(action.status));
        assert.ok(JSON.stringify(answer).length < 256 * 1024);
      },
    );
  }
});

Deno.test("[okta contract] outcomes map to Okta statuses as the README's table says", () => {
  const statuses = OUTCOMES.map((delivery) => toOktaResponse(delivery, "evt-1").commands[0].value[0]);
  assert.deepEqual(statuses.map((s) => s.status), ["SUCCESSFUL", "FAILED", "FAILED", "PENDING"]);
  assert.deepEqual(statuses.map((s) => s.transactionId), [
    "bda3d56d-1424-e711-813c-06ed3428fe67",
    "evt-1",
    "evt-1",
    "evt-1",
  ]);
  assert.deepEqual(statuses.map((s) => s.provider), ["8x8", "8x8", "none", "8x8"]);
  assert.deepEqual(statuses.map((s) => s.transactionMetadata), [
    "status=QUEUED",
    "reason=provider_rejected, httpStatus=400, code=1002",
    "reason=invalid_phone_number",
    "reason=timeout",
  ]);
});

Deno.test("[okta contract] Okta's verbatim preview sample parses into the domain request", () => {
  const parsed = parseOktaRequest(JSON.parse(PREVIEW_SAMPLE_TEXT));
  assert.deepEqual(parsed, {
    ok: true,
    event: { eventId: "uS5871kJThSsU8qlA1LTcg", requestType: "com.okta.user.telephony.pre-enrollment" },
    request: {
      eventId: "uS5871kJThSsU8qlA1LTcg",
      channel: "sms",
      rawPhoneNumber: "9876543210",
      otpCode: "11111",
      messageText: "(HOOK)Your code is 11111",
      expiresAt: new Date("2022-01-28T21:48:34.321Z"),
      locale: "EN-US",
      userId: "00uyxxSknGtK8022w0g3",
      preview: true,
    },
  });
});

Deno.test("[okta request] deliveryChannel is read case-insensitively", async (t) => {
  const expected = { SMS: "sms", sms: "sms", "voice call": "voice", Voice: "voice", CALL: "voice" };
  for (const [deliveryChannel, channel] of Object.entries(expected)) {
    await t.step(deliveryChannel, () => {
      const parsed = parseOktaRequest(oktaRequest({ deliveryChannel }));
      assert.equal(parsed.ok && parsed.request.channel, channel);
    });
  }
});

Deno.test("[okta request] a bad body names every invalid field and never echoes a value", async (t) => {
  const cases: [string, unknown, string[]][] = [
    ["missing messageProfile", { ...oktaRequest(), data: {} }, ["data.messageProfile"]],
    ["missing phone number", oktaRequest({ phoneNumber: undefined }), ["data.messageProfile.phoneNumber"]],
    ["numeric otp", oktaRequest({ otpCode: 11111 }), ["data.messageProfile.otpCode"]],
    ["unknown channel", oktaRequest({ deliveryChannel: "pigeon" }), ["data.messageProfile.deliveryChannel"]],
    ["bad expiry", oktaRequest({ otpExpires: "in five minutes" }), ["data.messageProfile.otpExpires"]],
    ["two problems", oktaRequest({ phoneNumber: 5, otpCode: null }), [
      "data.messageProfile.phoneNumber",
      "data.messageProfile.otpCode",
    ]],
    ["not an object", [1, 2], ["(body)"]],
    ["null", null, ["(body)"]],
  ];
  for (const [name, body, locations] of cases) {
    await t.step(name, () => {
      const parsed = parseOktaRequest(body);
      assert.equal(parsed.ok, false);
      if (parsed.ok) return;
      assert.deepEqual(parsed.problems.map((p) => p.location), locations);
      const text = JSON.stringify(parsed.problems);
      for (const secret of ["11111", "9876543210", "pigeon", "in five minutes"]) {
        assert.ok(!text.includes(secret));
      }
    });
  }
});
