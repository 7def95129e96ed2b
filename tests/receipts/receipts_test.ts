// 8x8's delivery receipts, posted the way 8x8 posts them, joined to the hook request that sent each SMS.
import assert from "node:assert/strict";
import { RECEIPT_STATES } from "../../src/receipts/receipt_webhook.ts";
import { createKvLedger } from "../../src/stores/kv_ledger.ts";
import { postReceipt, receiptFor } from "../fakes/fake_8x8_receipts.ts";
import { oktaRequest } from "../support/okta_requests.ts";
import { seriesValue } from "../support/prometheus.ts";
import {
  LOOKUP_AUTH,
  type RunningService,
  SECRET,
  type ServiceSetup,
  startService,
  withService,
} from "../support/service.ts";

const DLR_AUTH = "Bearer dlr-webhook-token-0123456789";
const NO_RETRIES: number[] = [];

function withReceipts(setup: ServiceSetup, test: (service: RunningService) => Promise<void>) {
  return withService({ ...setup, env: { EIGHTBYEIGHT_DLR_AUTH: DLR_AUTH, ...setup.env } }, test);
}

const target = (service: RunningService, authorization = DLR_AUTH) => ({
  url: `${service.url}/8x8/delivery-receipts`,
  authorization,
});

async function send(service: RunningService, eventId: string, phoneNumber = "+14155552671") {
  const response = await service.post(JSON.stringify(oktaRequest({ phoneNumber }, eventId)));
  assert.equal((await response.json()).commands[0].value[0].status, "SUCCESSFUL");
  return service.fake.sent.at(-1)!;
}

Deno.test("[receipts] a receipt posted three times is recorded once, counted, logged masked, and can be looked up", () =>
  withReceipts({}, async (service) => {
    const message = await send(service, "evt-dlr-1");
    const receipt = receiptFor(message, "delivered");
    for (let copy = 0; copy < 3; copy++) {
      assert.deepEqual(await postReceipt(target(service), receipt, NO_RETRIES), [200]);
    }

    const logged = service.logLines.filter((line) => line.includes(`"event":"delivery_receipt"`));
    assert.equal(logged.length, 1);
    const line = JSON.parse(logged[0]!);
    assert.equal(line.eventId, "evt-dlr-1");
    assert.equal(line.umid, message.umid);
    assert.equal(line.state, "delivered");
    assert.equal(line.destination, "+1******2671");
    assert.ok(
      !service.logLines.join("\n").includes("4155552671"),
      "the receipt's full number is never logged",
    );

    const metrics = await service.metrics();
    assert.equal(
      seriesValue(metrics, "otp_receipts_total", { state: "delivered", country_calling_code: "1" }),
      1,
    );

    const lookup = await fetch(`${service.url}/deliveries/evt-dlr-1`, {
      headers: { authorization: LOOKUP_AUTH },
    });
    const record = await lookup.json();
    assert.equal(lookup.status, 200);
    assert.equal(record.state, "delivered");
    assert.equal(record.detail, "delivered_to_recipient");
    assert.equal(record.transactionId, message.umid);
    assert.equal(record.destination, "+1******2671");
  }));

Deno.test("[receipts] a later state is recorded too; the lookup shows the latest", () =>
  withReceipts({}, async (service) => {
    const message = await send(service, "evt-dlr-2");
    await postReceipt(target(service), receiptFor(message, "sent"), NO_RETRIES);
    await postReceipt(target(service), receiptFor(message, "undelivered", 3), NO_RETRIES);
    const record =
      await (await fetch(`${service.url}/deliveries/evt-dlr-2`, { headers: { authorization: LOOKUP_AUTH } }))
        .json();
    assert.deepEqual([record.state, record.detail, record.errorCode], [
      "undelivered",
      "rejected_by_operator",
      3,
    ]);
    assert.equal(service.logLines.filter((line) => line.includes(`"event":"delivery_receipt"`)).length, 2);
  }));

Deno.test("[receipts] wrong auth is 401 and 8x8 retries it; a malformed body is 400; other events are acknowledged", () =>
  withReceipts({}, async (service) => {
    const message = await send(service, "evt-dlr-3");
    const receipt = receiptFor(message, "delivered");
    assert.deepEqual(await postReceipt(target(service, "Bearer wrong-token-000000"), receipt, [0, 0]), [
      401,
      401,
      401,
    ]);
    const malformed = await postReceipt(
      target(service),
      { eventType: "outbound_message_status_changed" },
      NO_RETRIES,
    );
    assert.deepEqual(malformed, [400]);
    assert.deepEqual(await postReceipt(target(service), "{not json", NO_RETRIES), [400]);
    assert.deepEqual(
      await postReceipt(target(service), { ...receipt, eventType: "inbound_message_received" }, NO_RETRIES),
      [
        200,
      ],
    );
    const unknown = receiptFor({ ...message, umid: "00000000-0000-0000-0000-000000000000" }, "delivered");
    assert.deepEqual(await postReceipt(target(service), unknown, NO_RETRIES), [200]);
    assert.equal(service.logLines.filter((line) => line.includes(`"event":"delivery_receipt"`)).length, 0);
  }));

Deno.test("[receipts] the lookup needs its own credential, not the hook's, and answers 404 for an unknown event", () =>
  withReceipts({}, async (service) => {
    await send(service, "evt-dlr-4");
    const anonymous = await fetch(`${service.url}/deliveries/evt-dlr-4`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    // Whoever can trigger passcodes cannot look deliveries up with that secret, and the other way round.
    const withHookSecret = await fetch(`${service.url}/deliveries/evt-dlr-4`, {
      headers: { authorization: SECRET },
    });
    assert.equal(withHookSecret.status, 401);
    await withHookSecret.body?.cancel();
    const unknown = await fetch(`${service.url}/deliveries/evt-nobody`, {
      headers: { authorization: LOOKUP_AUTH },
    });
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    // Broken percent-encoding is the caller's mistake: a JSON 400, not a 500.
    const malformed = await fetch(`${service.url}/deliveries/%E0%A4%A`, {
      headers: { authorization: LOOKUP_AUTH },
    });
    assert.equal(malformed.status, 400);
    assert.equal((await malformed.json()).error.errorCode, "invalid_request");
  }));

Deno.test("[receipts] with Deno KV, a receipt reaching another instance still finds the send", async () => {
  const folder = await Deno.makeTempDir({ prefix: "ledger-kv-" });
  const kvs = [await Deno.openKv(`${folder}/ledger.sqlite`), await Deno.openKv(`${folder}/ledger.sqlite`)];
  const env = { EIGHTBYEIGHT_DLR_AUTH: DLR_AUTH };
  const one = startService({ env, ledger: createKvLedger(kvs[0]!) });
  const two = startService({ env, ledger: createKvLedger(kvs[1]!), fake: one.fake });
  try {
    const message = await send(one, "evt-dlr-kv");
    const receipt = receiptFor(message, "delivered");
    const statuses = await Promise.all(
      [0, 1, 2].map((copy) => postReceipt(target(copy % 2 ? one : two), receipt, NO_RETRIES)),
    );
    assert.deepEqual(statuses, [[200], [200], [200]]);
    const recorded = [...one.logLines, ...two.logLines].filter((line) =>
      line.includes(`"event":"delivery_receipt"`)
    );
    assert.equal(recorded.length, 1, "recorded once across both instances");
    const record =
      await (await fetch(`${one.url}/deliveries/evt-dlr-kv`, { headers: { authorization: LOOKUP_AUTH } }))
        .json();
    assert.equal(record.state, "delivered");
  } finally {
    await two.close();
    await one.close();
    for (const kv of kvs) kv.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("[receipts] a late step on the way never overwrites a final state: retries arrive out of order", () =>
  withReceipts({}, async (service) => {
    const message = await send(service, "evt-dlr-late");
    assert.deepEqual(await postReceipt(target(service), receiptFor(message, "delivered"), NO_RETRIES), [200]);
    assert.deepEqual(await postReceipt(target(service), receiptFor(message, "sent"), NO_RETRIES), [200]);
    const lookup = await fetch(`${service.url}/deliveries/evt-dlr-late`, {
      headers: { authorization: LOOKUP_AUTH },
    });
    assert.equal((await lookup.json()).state, "delivered");
    assert.equal(service.logLines.filter((line) => line.includes(`"event":"receipt_stale"`)).length, 1);
  }));

Deno.test("[receipts] only the states 8x8 documents are accepted: invented ones cannot grow /metrics", () =>
  withReceipts({}, async (service) => {
    const message = await send(service, "evt-dlr-invented");
    const documented = receiptFor(message, "delivered") as { payload: { status: { state: string } } };
    for (let index = 0; index < 50; index++) {
      documented.payload.status.state = `invented-${index}`;
      assert.deepEqual(await postReceipt(target(service), documented, NO_RETRIES), [400]);
    }
    const metrics = await service.metrics();
    assert.doesNotMatch(metrics, /invented/);
  }));

Deno.test("[receipts] the accepted states are exactly those in 8x8's message-status model", () => {
  const common = JSON.parse(
    Deno.readTextFileSync(new URL("../contracts/8x8/common_models.json", import.meta.url)),
  );
  const description: string = common.components.schemas["message-status-v1"].properties.state.description;
  const documented = [...description.matchAll(/- \*\*(\w+):\*\*/g)].map((match) => match[1]);
  assert.deepEqual([...RECEIPT_STATES].sort(), documented.sort());
});

Deno.test("[receipts] /metrics needs its own credential, and without METRICS_AUTH it is not served", async () => {
  await withReceipts({}, async (service) => {
    const anonymous = await fetch(`${service.url}/metrics`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    assert.equal(seriesValue(await service.metrics(), "otp_build_info"), 1);
  });
  await withReceipts(
    { env: { METRICS_AUTH: undefined, DELIVERY_LOOKUP_AUTH: undefined } },
    async (service) => {
      for (const path of ["/metrics", "/deliveries/evt-1"]) {
        const response = await fetch(`${service.url}${path}`, { headers: { authorization: LOOKUP_AUTH } });
        assert.equal(response.status, 404, path);
        await response.body?.cancel();
      }
    },
  );
});
