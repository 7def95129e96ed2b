// One timer serves every deadline of a budget: each still ends on time, in order, and an answered one never does.
import assert from "node:assert/strict";
import { createDeadlines } from "../../src/http/deadline.ts";

// When `signal` aborts (at once if it has).
const ended = (signal: AbortSignal) =>
  new Promise<number>((resolve) => {
    if (signal.aborted) resolve(performance.now());
    signal.addEventListener("abort", () => resolve(performance.now()));
  });

// The deadlines' timer, like any `AbortSignal.timeout`, does not keep a process alive: in the service the server
// does. Here an idle interval stands in for it; it synchronises nothing.
async function whileAlive(test: () => Promise<void>): Promise<void> {
  const alive = setInterval(() => {}, 60_000);
  try {
    await test();
  } finally {
    clearInterval(alive);
  }
}

Deno.test("[deadline] each deadline aborts once its budget has passed, in the order they started", () =>
  whileAlive(async () => {
    const start = createDeadlines(40, () => performance.now());
    const first = start();
    const startedSecond = performance.now();
    const second = start();
    const answered = start();
    answered.dispose();
    const last = start();
    assert.equal(first.signal.aborted, false);
    assert.ok(first.remainingMs() > 0 && first.remainingMs() <= 40);

    const [firstAt, secondAt] = await Promise.all([ended(first.signal), ended(second.signal)]);
    assert.ok(firstAt <= secondAt);
    assert.ok(
      secondAt - startedSecond >= 39,
      `the second ended ${secondAt - startedSecond} ms after it started`,
    );
    assert.equal((second.signal.reason as DOMException).name, "TimeoutError");
    assert.equal(second.remainingMs(), 0);
    await ended(last.signal); // by now the answered one's time has passed too
    assert.equal(answered.signal.aborted, false, "an answered request's deadline is never aborted");
  }));

Deno.test("[deadline] deadlines started after the timer emptied its queue, and after answered ones, still end", () =>
  whileAlive(async () => {
    const start = createDeadlines(15, () => performance.now());
    const early = start();
    await ended(early.signal); // the queue is empty now, and the timer idle
    for (let index = 0; index < 2_000; index++) start().dispose(); // past the compaction threshold
    const late = start();
    const startedLate = performance.now();
    const lateAt = await ended(late.signal);
    assert.ok(lateAt - startedLate >= 14);
  }));
