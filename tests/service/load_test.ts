// Many Okta requests at once against the fake 8x8: every one answered, every event delivered exactly once,
// and the replay store left holding results only.
import assert from "node:assert/strict";
import { createMemoryReplayStore } from "../../src/stores/memory_replay_store.ts";
import { oktaRequest } from "../support/okta_requests.ts";
import { startService } from "../support/service.ts";

const REQUESTS = 4_000;
const CONCURRENCY = 64;

Deno.test(`[load] ${REQUESTS} requests at ${CONCURRENCY} concurrent: all SUCCESSFUL, each delivered exactly once`, async () => {
  const replays = createMemoryReplayStore();
  const service = startService({ replays });
  try {
    const bodies = Array.from(
      { length: REQUESTS },
      (_, index) => JSON.stringify(oktaRequest({}, `load-${index}`)),
    );
    const statuses: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) {
        const response = await service.post(bodies[next++]!);
        statuses.push((await response.json()).commands[0].value[0].status);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    assert.equal(statuses.length, REQUESTS);
    assert.deepEqual([...new Set(statuses)], ["SUCCESSFUL"]);
    const delivered = service.fake.requests.map((request) =>
      (request.body as { clientMessageId: string }).clientMessageId
    );
    assert.equal(delivered.length, REQUESTS);
    assert.equal(new Set(delivered).size, REQUESTS, "no event was sent twice");
    assert.equal(replays.size(), REQUESTS, "one entry per event");
    assert.equal(replays.inFlight(), 0, "no claim was left behind");
  } finally {
    await service.close();
  }
});
