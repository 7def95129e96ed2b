import type { Delivery } from "../domain/delivery.ts";
import { maskPhoneNumber } from "../domain/mask.ts";
import type { PhoneNumber } from "../domain/otp_request.ts";
import type { SmsMessage, SmsSender, VoiceCall, VoiceCaller } from "../domain/ports.ts";
import type { Logger } from "../observability/json_logger.ts";

/** The provider name Okta shows for messages that were only pretended. */
export const SANDBOX = "sandbox";

/**
 * Pretends to send: for trying the service and Okta's preview without an 8x8 account.
 * Logs where the SMS would have gone, masked, and never its text.
 */
export function createSandboxSms(logger: Logger): SmsSender {
  return { send: (message: SmsMessage) => pretend(logger, "sandbox_sms", message) };
}

/** Pretends to call: logs where the call would have gone, masked, and never the code. */
export function createSandboxVoice(logger: Logger): VoiceCaller {
  return { call: (call: VoiceCall) => pretend(logger, "sandbox_voice", call) };
}

function pretend(
  logger: Logger,
  event: string,
  sent: { eventId: string; to: PhoneNumber },
): Promise<Delivery> {
  logger.info(event, { eventId: sent.eventId, destination: maskPhoneNumber(sent.to) });
  return Promise.resolve({
    outcome: "delivered",
    provider: SANDBOX,
    transactionId: `sandbox-${sent.eventId}`,
    metadata: { mode: SANDBOX },
  });
}
