// Another process that owns an event id in a shared Deno KV file: `deno run … kv_replay_owner.ts PATH EVENT_ID`.
// Claims the id, prints "claimed", and completes it when a line arrives on standard input.
import { createKvReplayStore } from "../../src/stores/kv_replay_store.ts";
import { testDeadline } from "./fakes.ts";

const [path, eventId] = Deno.args as [string, string];
const kv = await Deno.openKv(path);
const store = createKvReplayStore(kv);
const claim = await store.claim(eventId, testDeadline());
console.log(claim.kind);
await Deno.stdin.readable.getReader().read();
await store.complete(eventId, {
  delivery: { outcome: "delivered", provider: "8x8", transactionId: "umid-other-process", metadata: {} },
  maskedDestination: "+1******2671",
});
kv.close();
