// Okta's 3-second budget, retries and de-duplication, seen from Okta's side over real loopback HTTP.
import assert from "node:assert/strict";
import { createKvReplayStore } from "../../src/stores/kv_replay_store.ts";
import { oktaRequest, PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { actionOf, startService, withService } from "../support/service.ts";

Deno.test("[budget] an 8x8 that never answers still gets Okta a valid 200 answer in under 2.9 s", () =>
  withService({}, async (service) => {
    service.fake.answerWith("hang");
    const started = performance.now();
    const action = await actionOf(await service.post(PREVIEW_SAMPLE_TEXT));
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 2_900, `answered after ${elapsedMs.toFixed(0)} ms`);
    assert.ok(elapsedMs >= 2_400, `the budget is used, not cut short (${elapsedMs.toFixed(0)} ms)`);
    // 8x8 may have the message: PENDING, so Okta does not send a second code through its own provider.
    assert.equal(action.status, "PENDING");
    assert.equal(action.transactionMetadata, "reason=timeout");
  }));

Deno.test("[budget] a 503 once is retried and ends SUCCESSFUL; a 429 every time is answered within the budget", async (t) => {
  await withService({}, async (service) => {
    await t.step("503 then success", async () => {
      service.fake.answerNext("unavailable");
      const action = await actionOf(await service.post(JSON.stringify(oktaRequest({}, "evt-503"))));
      assert.equal(action.status, "SUCCESSFUL");
      assert.equal(service.fake.requests.length, 2);
    });
    await t.step("429 every time", async () => {
      service.fake.answerWith("rate_limited");
      const started = performance.now();
      const action = await actionOf(await service.post(JSON.stringify(oktaRequest({}, "evt-429"))));
      const elapsedMs = performance.now() - started;
      assert.equal(action.status, "FAILED");
      assert.match(action.transactionMetadata, /^reason=provider_rate_limited/);
      assert.ok(elapsedMs < 2_500, `answered after ${elapsedMs.toFixed(0)} ms`);
    });
  });
});

Deno.test("[dedup] the same eventId twice reaches 8x8 once, and both copies get the same answer", () =>
  withService({}, async (service) => {
    const first = await actionOf(await service.post(PREVIEW_SAMPLE_TEXT));
    const second = await actionOf(await service.post(PREVIEW_SAMPLE_TEXT));
    assert.equal(service.fake.requests.length, 1);
    assert.deepEqual(second, first);
    const replayLines = service.logLines.filter((line) => line.includes(`"replayed":true`));
    assert.equal(replayLines.length, 1, "the copy is logged as a replay");
  }));

Deno.test("[dedup] 10 copies at once reach 8x8 once; every copy gets the first answer (memory store)", () =>
  withService({}, async (service) => {
    service.fake.answerWith("held"); // 8x8 is slow, so all ten copies arrive while the first is in flight
    const copies = Array.from({ length: 10 }, () => service.post(PREVIEW_SAMPLE_TEXT));
    await service.fake.nextRequest();
    service.fake.releaseHeld();
    const actions = await Promise.all(copies.map(async (copy) => await actionOf(await copy)));
    assert.equal(service.fake.requests.length, 1);
    assert.equal(actions[0].status, "SUCCESSFUL");
    for (const action of actions) assert.deepEqual(action, actions[0]);
  }));

Deno.test("[dedup] 10 copies at once across two instances sharing Deno KV reach 8x8 once", async () => {
  const folder = await Deno.makeTempDir({ prefix: "dedup-kv-" });
  const kvs = [await Deno.openKv(`${folder}/replay.sqlite`), await Deno.openKv(`${folder}/replay.sqlite`)];
  const one = startService({ replays: createKvReplayStore(kvs[0]!) });
  const two = startService({ replays: createKvReplayStore(kvs[1]!), fake: one.fake });
  try {
    one.fake.answerWith("held");
    const copies = Array.from(
      { length: 10 },
      (_, index) => (index % 2 === 0 ? one : two).post(PREVIEW_SAMPLE_TEXT),
    );
    await one.fake.nextRequest();
    one.fake.releaseHeld();
    const actions = await Promise.all(copies.map(async (copy) => await actionOf(await copy)));
    assert.equal(one.fake.requests.length, 1);
    assert.equal(actions[0].status, "SUCCESSFUL");
    for (const action of actions) assert.deepEqual(action, actions[0]);
    // A later copy, after the first finished, is a replay too.
    assert.deepEqual(await actionOf(await two.post(PREVIEW_SAMPLE_TEXT)), actions[0]);
    assert.equal(one.fake.requests.length, 1);
  } finally {
    await two.close();
    await one.close();
    for (const kv of kvs) kv.close();
    await Deno.remove(folder, { recursive: true });
  }
});
