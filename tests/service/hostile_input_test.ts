// A public endpoint receives garbage. Every answer must be a JSON 2xx or 4xx, the process must keep serving,
// and whatever passes validation must still make a call that matches 8x8's published schema.
import assert from "node:assert/strict";
import { parseOktaRequest } from "../../src/okta/okta_request.ts";
import { oktaRequest, PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { SECRET, startService, withService } from "../support/service.ts";

// A small seeded generator (mulberry32), so every run fuzzes the same bodies and a failure can be replayed.
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = [
  [],
  ["eventId"],
  ["requestType"],
  ["data"],
  ["data", "messageProfile"],
  ["data", "messageProfile", "phoneNumber"],
  ["data", "messageProfile", "otpCode"],
  ["data", "messageProfile", "msgTemplate"],
  ["data", "messageProfile", "deliveryChannel"],
  ["data", "messageProfile", "otpExpires"],
  ["data", "messageProfile", "locale"],
];

function strangeValue(random: () => number): unknown {
  const values: (() => unknown)[] = [
    () => null,
    () => random() * 1e21,
    () => -0,
    () => true,
    () => [],
    () => ({}),
    () => "",
    () => "x".repeat(100_000),
    () => "\u0000\u0007\u001b[31m\r\n",
    () => "\ud800 lone surrogate \udfff",
    () => "😀🇸🇬 ꧅ 𝕏 ‮reversed",
    () => "+1 (415) 555-2671",
    () => "+" + "9".repeat(20),
    () => "2099-13-45T99:99:99Z",
    () => ({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } }),
    () => "voice call",
    () => "sMs",
  ];
  return values[Math.floor(random() * values.length)]!();
}

function mutate(random: () => number, index: number): BodyInit {
  const request = oktaRequest({}, `fuzz-${index}`) as Record<string, unknown>;
  const path = PATHS[Math.floor(random() * PATHS.length)]!;
  const kind = Math.floor(random() * 6);
  if (kind <= 2 && path.length > 0) {
    let target = request as Record<string, unknown>;
    for (const key of path.slice(0, -1)) {
      if (typeof target[key] !== "object" || target[key] === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    if (kind === 0) delete target[path.at(-1)!];
    else target[path.at(-1)!] = strangeValue(random);
    return JSON.stringify(request);
  }
  const text = JSON.stringify(request);
  if (kind === 3) return text.slice(0, Math.floor(random() * text.length)); // truncated
  if (kind === 4) {
    const bytes = new TextEncoder().encode(text);
    for (let flips = 0; flips < 5; flips++) {
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    }
    return bytes;
  }
  return "[".repeat(20_000) + "]".repeat(20_000); // deep nesting within the size limit
}

Deno.test("[hostile input] 300 fuzzed bodies: only JSON 2xx/4xx answers, no dropped connection, still serving", () =>
  withService({}, async (service) => {
    const random = seeded(20261129);
    const statuses = new Map<number, number>();
    for (let index = 0; index < 300; index++) {
      const response = await service.post(mutate(random, index));
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      assert.ok([200, 400, 413].includes(response.status), `body ${index}: HTTP ${response.status} ${text}`);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      JSON.parse(text);
    }
    // Every call that got through to 8x8 was still a correct one.
    for (const call of service.fake.requests) assert.deepEqual(call.violations, []);
    assert.ok((statuses.get(200) ?? 0) > 20 && (statuses.get(400) ?? 0) > 20, JSON.stringify([...statuses]));
    const action = (await (await service.post(JSON.stringify(oktaRequest({}, "after-fuzz")))).json())
      .commands[0].value[0];
    assert.equal(action.status, "SUCCESSFUL");
  }));

Deno.test("[hostile input] size and type limits: 1 MiB is 413, text/xml is 415", () =>
  withService({}, async (service) => {
    const big = await service.post(new Uint8Array(1024 * 1024).fill(0x20));
    assert.equal(big.status, 413);
    await big.body?.cancel();
    const xml = await service.post("<hook/>", { "content-type": "text/xml" });
    assert.equal(xml.status, 415);
    await xml.body?.cancel();
    assert.equal(service.fake.requests.length, 0);
  }));

Deno.test("[hostile input] prototype-pollution keys are ignored and pollute nothing", () =>
  withService({}, async (service) => {
    const body = `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},${
      PREVIEW_SAMPLE_TEXT.trim().slice(1)
    }`;
    const response = await service.post(body);
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted"), false);
  }));

Deno.test("[hostile input] control characters and lone surrogates never reach 8x8; ids must be printable", async (t) => {
  await t.step("the text is cleaned", () =>
    withService({}, async (service) => {
      const template = "Your\u0000 code\u001b is 424242\ud800\r\n";
      await service.post(JSON.stringify(oktaRequest({ msgTemplate: template }, "evt-clean")));
      const sent = service.fake.requests[0]!.body as { text: string };
      assert.equal(sent.text, "Your code is 424242\ufffd\r\n");
      assert.deepEqual(service.fake.requests[0]!.violations, []);
    }));
  await t.step("control characters in ids are refused", () => {
    for (const eventId of ["evt\n1", "evt 1", "evt\u00001", ""]) {
      const parsed = parseOktaRequest(oktaRequest({}, eventId));
      assert.equal(parsed.ok, false, JSON.stringify(eventId));
    }
    const code = parseOktaRequest(oktaRequest({ otpCode: "12\n34" }));
    assert.equal(code.ok, false);
  });
});

Deno.test("[hostile input] a body that trickles in is answered 408 within the budget, and a stop is not held", async () => {
  const service = startService({ env: { OKTA_RESPONSE_BUDGET_MS: "300" } });
  const { hostname, port } = new URL(service.url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  let closed = false;
  try {
    const started = performance.now();
    const head = `POST /telephony-hook HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: ${SECRET}\r\n` +
      "content-type: application/json\r\ncontent-length: 1000\r\n\r\n";
    await conn.write(new TextEncoder().encode(`${head}{"eventId":`)); // and then nothing more
    // Read the whole answer; bounded, so a service that never answers fails instead of hanging.
    const bound = setTimeout(() => conn.close(), 5_000);
    let answer = "";
    const buffer = new Uint8Array(4_096);
    while (!/\r\n\r\n[\s\S]*\}\s*$/.test(answer)) {
      const read = await conn.read(buffer).catch(() => null);
      if (read === null) break;
      answer += new TextDecoder().decode(buffer.subarray(0, read));
    }
    clearTimeout(bound);
    const elapsed = performance.now() - started;
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.match(answer, /"errorCode":"request_timeout"/);
    assert.ok(elapsed < 2_000, `answered after ${Math.round(elapsed)} ms`);
    // The service still serves, and a stop does not wait for the body that never came.
    const action = await (await service.post(PREVIEW_SAMPLE_TEXT)).json();
    assert.equal(action.commands[0].value[0].status, "SUCCESSFUL");
    const stopStarted = performance.now();
    await service.close();
    closed = true;
    assert.ok(performance.now() - stopStarted < 3_000, "the stop finished");
  } finally {
    conn.close();
    if (!closed) await service.close();
  }
});
