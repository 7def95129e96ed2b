// The services a benchmarked hook talks to, in their own process so they do not share the load generator's
// event loop: the fake 8x8 (no added latency) and an OTLP sink that reads and discards what it receives.
import { startFake8x8 } from "../fakes/fake_8x8.ts";

// Counted, not kept: a long run would otherwise hold a million requests in this process.
const fake = startFake8x8({ keep: false });
const sink = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
  await request.arrayBuffer();
  // An empty answer is a full success in OTLP's protobuf encoding; JSON exporters get JSON.
  return request.headers.get("content-type")?.startsWith("application/x-protobuf")
    ? new Response(new Uint8Array(), { headers: { "content-type": "application/x-protobuf" } })
    : Response.json({ partialSuccess: {} });
});
console.log(JSON.stringify({
  eightByEight: fake.url,
  apiKey: fake.apiKey,
  subaccountId: fake.subaccountId,
  otlp: `http://127.0.0.1:${sink.addr.port}`,
}));
