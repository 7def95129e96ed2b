import assert from "node:assert/strict";
import { createBufferedOutput, createJsonLogger } from "../../src/observability/json_logger.ts";

// A reader that takes every write at once, or, when held, takes nothing until released.
function recordingSink() {
  const writes: string[] = [];
  let held: (() => void)[] | undefined;
  return {
    writes,
    hold: () => void (held = []),
    release() {
      const waiting = held ?? [];
      held = undefined;
      waiting.forEach((go) => go());
    },
    async write(bytes: Uint8Array): Promise<number> {
      if (held !== undefined) await new Promise<void>((go) => held!.push(go));
      writes.push(new TextDecoder().decode(bytes));
      return bytes.length;
    },
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

Deno.test("[json log] buffered output writes many lines in one write, in order, off the request path", async () => {
  const sink = recordingSink();
  const output = createBufferedOutput(sink, { delayMs: 60_000 });
  output.write("one");
  output.write("two");
  assert.deepEqual(sink.writes, [], "nothing is written on the request path");
  await output.drain(1_000);
  assert.deepEqual(sink.writes, ["one\ntwo\n"]);
  await output.drain(1_000);
  assert.equal(sink.writes.length, 1, "an empty drain writes nothing");
});

Deno.test("[json log] a large batch is written at once, without waiting for the timer", async () => {
  const sink = recordingSink();
  const output = createBufferedOutput(sink, { delayMs: 60_000 });
  const line = "x".repeat(1_000);
  for (let count = 0; count < 70; count++) output.write(line);
  await Promise.resolve();
  assert.equal(sink.writes.length, 1);
  assert.equal(sink.writes[0]!.split("\n").length - 1, 66);
  await output.drain(1_000);
  assert.equal(sink.writes.join("").split("\n").length - 1, 70);
});

Deno.test("[json log] a flush writes what is queued at once (the `listening` line, which a supervisor waits for)", async () => {
  const sink = recordingSink();
  const output = createBufferedOutput(sink, { delayMs: 60_000 });
  output.write("listening");
  output.flush();
  assert.deepEqual(sink.writes, ["listening\n"]);
  output.flush();
  assert.equal(sink.writes.length, 1, "an empty flush writes nothing");
  await output.drain(1_000);
});

Deno.test("[json log] a line written just as a write completes still goes out on its own timer", async () => {
  // The line lands a few microtasks after the reader took the previous write, at every distance up to 12: once
  // that write has seen an empty queue, the new line must arm its own timer, not wait for a later line to carry
  // it out (under `deno serve --parallel` a worker's last start-up line waited for its first hook).
  for (let hops = 0; hops < 12; hops++) {
    let received!: () => void;
    const arrived = new Promise<true>((resolve) => (received = () => resolve(true)));
    let first = true;
    const output = createBufferedOutput({
      write(bytes) {
        const taken = Promise.resolve(bytes.length);
        if (first) {
          first = false;
          let after: Promise<unknown> = taken;
          for (let hop = 0; hop < hops; hop++) after = after.then(() => {});
          void after.then(() => output.write("late"));
        } else if (new TextDecoder().decode(bytes).includes("late")) received();
        return taken;
      },
    }, { delayMs: 1 });
    output.write("early"); // written by its timer, which is then spent
    let giveUp: ReturnType<typeof setTimeout> | undefined;
    const late = await Promise.race([
      arrived,
      new Promise<false>((resolve) => (giveUp = setTimeout(() => resolve(false), 2_000))),
    ]);
    clearTimeout(giveUp);
    assert.ok(late, `a line written ${hops} microtasks after a write was taken was never written`);
  }
});

Deno.test("[json log] a stalled reader never blocks a write: past the limit lines are dropped, then reported", async () => {
  const sink = recordingSink();
  sink.hold();
  const output = createBufferedOutput(sink, {
    delayMs: 60_000,
    batchBytes: 1_000,
    maxPendingBytes: 10_000,
    now: () => new Date("2030-01-01T00:00:00Z"),
  });
  const line = "y".repeat(99);
  for (let count = 0; count < 1_000; count++) output.write(line); // returns at once, though nothing is read
  assert.equal(output.dropped, 900, "100 lines fit in 10,000 bytes; the rest are dropped and counted");
  sink.release();
  await output.drain(1_000);
  output.write("after");
  await output.drain(1_000);
  const written = sink.writes.join("").trim().split("\n");
  assert.equal(written.filter((text) => text === line).length, 100);
  assert.deepEqual(JSON.parse(written.at(-2)!), {
    time: "2030-01-01T00:00:00.000Z",
    level: "warn",
    event: "log_lines_dropped",
    count: 900,
  });
  assert.equal(written.at(-1), "after");
});

Deno.test("[json log] a reader that went away (broken pipe) ends the writing, never the process", async () => {
  let writes = 0;
  const output = createBufferedOutput({
    write: () => (writes++, Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"))),
  }, { delayMs: 60_000 });
  output.write("one");
  await output.drain(1_000);
  output.write("two");
  await output.drain(1_000);
  assert.equal(writes, 1, "no write after the pipe broke");
  assert.equal(output.dropped, 2);
});

Deno.test("[json logger] LOG_LEVEL=warn writes error and warn lines only; each line carries the active trace's ids", () => {
  const written: [string, string][] = [];
  const under: { trace?: { trace_id: string; span_id: string } } = {};
  const logger = createJsonLogger({
    write: (line, level) => written.push([level, line]),
    level: "warn",
    traceContext: () => under.trace,
  });
  logger.info("hook", { outcome: "delivered" });
  logger.warn("hook_refused", { status: 401 });
  under.trace = { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "00f067aa0ba902b7" };
  logger.error("hook", { reason: "provider_auth_failed" });
  assert.deepEqual(written.map(([level]) => level), ["warn", "error"]);
  const [first, second] = written.map(([, line]) => JSON.parse(line));
  assert.equal(first.trace_id, undefined);
  assert.equal(second.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  assert.equal(second.span_id, "00f067aa0ba902b7");
  assert.deepEqual(Object.keys(second).slice(0, 5), ["time", "level", "event", "trace_id", "span_id"]);
});
