// Hand-made fakes of the core's ports: no mocking library needed when every edge is a port.
import type { Delivery } from "../../src/domain/delivery.ts";
import type {
  Deadline,
  ReplayStore,
  SmsMessage,
  SmsSender,
  VoiceCall,
  VoiceCaller,
} from "../../src/domain/ports.ts";
import { createJsonLogger, type Logger } from "../../src/observability/json_logger.ts";

/** An SMS sender that records what it was asked to send and answers with a fixed delivery. */
export function recordingSmsSender(answer: Delivery): SmsSender & { sent: SmsMessage[] } {
  const sent: SmsMessage[] = [];
  return {
    sent,
    send(message) {
      sent.push(message);
      return Promise.resolve(answer);
    },
  };
}

/** A voice caller that records the calls it was asked to place and answers with a fixed delivery. */
export function recordingVoiceCaller(answer: Delivery): VoiceCaller & { calls: VoiceCall[] } {
  const calls: VoiceCall[] = [];
  return {
    calls,
    call(call) {
      calls.push(call);
      return Promise.resolve(answer);
    },
  };
}

/** The real JSON logger, writing into memory so tests can read every line it would have printed. */
export function capturedLogger(): Logger & { lines: string[]; events(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    ...createJsonLogger({ write: (line) => lines.push(line) }),
    lines,
    events: () => lines.map((l) => JSON.parse(l)),
  };
}

/** A deadline that ends only when the test aborts `controller`; it claims `remainingMs` are left until then. */
export function testDeadline(controller = new AbortController(), remainingMs = 2_500): Deadline {
  return { signal: controller.signal, remainingMs: () => (controller.signal.aborted ? 0 : remainingMs) };
}

/** A replay store that remembers nothing: every request is its first copy. For tests of one delivery. */
export function forgetfulReplays(): ReplayStore {
  return {
    claim: () => Promise.resolve({ kind: "claimed" }),
    complete: () => Promise.resolve(),
    release: () => Promise.resolve(),
  };
}
