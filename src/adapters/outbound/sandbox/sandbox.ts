import type { Delivery } from "../../../domain/delivery.ts";
import { maskPhoneNumber } from "../../../domain/mask.ts";
import type { SmsMessage, SmsSender, VoiceCall, VoiceCaller } from "../../../domain/ports.ts";
import type { Logger } from "../json_log/json_logger.ts";

/** The provider name Okta shows for messages that were only pretended. */
export const SANDBOX = "sandbox";

/**
 * Pretends to send: for trying the service and Okta's preview without an 8x8 account.
 * Logs where the SMS would have gone, masked, and never its text.
 */
export function createSandboxSms(logger: Logger): SmsSender {
  return {
    send(message: SmsMessage): Promise<Delivery> {
      logger.info("sandbox_sms", { eventId: message.eventId, destination: maskPhoneNumber(message.to) });
      return Promise.resolve({
        outcome: "delivered",
        provider: SANDBOX,
        transactionId: `sandbox-${message.eventId}`,
        metadata: { mode: SANDBOX },
      });
    },
  };
}

/** Pretends to call: logs where the call would have gone, masked, and never the code. */
export function createSandboxVoice(logger: Logger): VoiceCaller {
  return {
    call(call: VoiceCall): Promise<Delivery> {
      logger.info("sandbox_voice", { eventId: call.eventId, destination: maskPhoneNumber(call.to) });
      return Promise.resolve({
        outcome: "delivered",
        provider: SANDBOX,
        transactionId: `sandbox-${call.eventId}`,
        metadata: { mode: SANDBOX },
      });
    },
  };
}
