import type { Deadline } from "../domain/ports.ts";

/** A deadline that also holds a place in its timer's queue, to be given up when the request is answered. */
export interface TimedDeadline extends Deadline {
  dispose(): void;
}

interface Waiting {
  readonly endsAt: number;
  /** Undefined once disposed: the request was answered and nobody listens any more. */
  controller?: AbortController;
}

// Entries already handled are dropped in batches, so the queue costs O(1) per deadline.
const COMPACT_AFTER = 1_024;

/**
 * Deadlines of one budget, `budgetMs` from `now()` on the same clock. Since every one has the same budget they
 * end in the order they start, so one timer serves them all: it wakes for the oldest live deadline, aborts every
 * one that has ended, and sleeps until the next. An answered request only marks its entry. The timer is
 * `AbortSignal.timeout`, the runtime's web timer: Deno's global `setTimeout` is the Node-compatible one, whose
 * first use loads about 4 ms of modules, and a timer per request cost more than this queue.
 */
export function createDeadlines(budgetMs: number, now: () => number): () => TimedDeadline {
  const queue: Waiting[] = [];
  let head = 0;
  let armed = false;

  function arm(delayMs: number): void {
    armed = true;
    AbortSignal.timeout(Math.max(0, Math.ceil(delayMs))).addEventListener("abort", wake, { once: true });
  }

  function wake(): void {
    armed = false;
    const at = now();
    for (; head < queue.length; head++) {
      const waiting = queue[head]!;
      if (waiting.controller === undefined) continue;
      if (waiting.endsAt > at) break;
      waiting.controller.abort(new DOMException("deadline reached", "TimeoutError"));
      waiting.controller = undefined;
    }
    if (head >= COMPACT_AFTER || head === queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (head < queue.length) arm(queue[head]!.endsAt - at);
  }

  return () => {
    const endsAt = now() + budgetMs;
    const waiting: Waiting = { endsAt, controller: new AbortController() };
    queue.push(waiting);
    if (!armed) arm(budgetMs);
    return {
      signal: waiting.controller!.signal,
      remainingMs: () => Math.max(0, endsAt - now()),
      dispose: () => void (waiting.controller = undefined),
    };
  };
}
