import type { Deadline } from "../domain/ports.ts";

/** A deadline that also holds a timer, to be disposed of when the request is answered. */
export interface TimedDeadline extends Deadline {
  dispose(): void;
}

/** A deadline `budgetMs` from `now()`, measured on the same clock. */
export function startDeadline(budgetMs: number, now: () => number): TimedDeadline {
  const endsAt = now() + budgetMs;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException("deadline reached", "TimeoutError")),
    budgetMs,
  );
  return {
    signal: controller.signal,
    remainingMs: () => Math.max(0, endsAt - now()),
    dispose: () => clearTimeout(timer),
  };
}
