import assert from "node:assert/strict";
import { createBufferedOutput, createJsonLogger } from "../../src/adapters/outbound/json_log/json_logger.ts";

function recordingSink() {
  const writes: string[] = [];
  return {
    writes,
    writeSync: (bytes: Uint8Array) => (writes.push(new TextDecoder().decode(bytes)), bytes.length),
  };
}

Deno.test("[json log] lines are JSON objects with time, level and event, then the fields", () => {
  const lines: string[] = [];
  const logger = createJsonLogger({
    write: (line) => lines.push(line),
    now: () => new Date("2030-01-01T00:00:00Z"),
  });
  logger.warn("hook_refused", { status: 401, reason: "unauthorized", detail: undefined });
  assert.deepEqual(lines.map((line) => JSON.parse(line)), [
    {
      time: "2030-01-01T00:00:00.000Z",
      level: "warn",
      event: "hook_refused",
      status: 401,
      reason: "unauthorized",
    },
  ]);
});

Deno.test("[json log] buffered output writes many lines in one call, in order, and flushes on demand", () => {
  const sink = recordingSink();
  const output = createBufferedOutput(sink, { delayMs: 60_000 });
  output.write("one");
  output.write("two");
  assert.deepEqual(sink.writes, [], "nothing is written on the request path");
  output.flush();
  assert.deepEqual(sink.writes, ["one\ntwo\n"]);
  output.flush();
  assert.equal(sink.writes.length, 1, "an empty flush writes nothing");
});

Deno.test("[json log] a large batch is written at once, without waiting for the timer", () => {
  const sink = recordingSink();
  const output = createBufferedOutput(sink, { delayMs: 60_000 });
  const line = "x".repeat(1_000);
  for (let count = 0; count < 70; count++) output.write(line);
  assert.equal(sink.writes.length, 1);
  assert.equal(sink.writes[0]!.split("\n").length - 1, 66);
  output.flush();
  assert.equal(sink.writes.join("").split("\n").length - 1, 70);
});
