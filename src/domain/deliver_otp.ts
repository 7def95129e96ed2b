import { type Delivery, failed } from "./delivery.ts";
import { maskPhoneNumber, UNPARSABLE_NUMBER_MASK } from "./mask.ts";
import { type OtpRequest, smsText } from "./otp_request.ts";
import type { DeliveryPorts } from "./ports.ts";

/** What the use case did, with the destination already masked for logs and traces. */
export interface DeliveryAttempt {
  readonly delivery: Delivery;
  readonly maskedDestination: string;
}

/**
 * The use case: deliver one passcode over the requested channel.
 * Unusable numbers and unsupported channels fail here, before any provider is called.
 */
export async function deliverOtp(
  request: OtpRequest,
  ports: DeliveryPorts,
  signal: AbortSignal,
): Promise<DeliveryAttempt> {
  const to = ports.phoneNumbers.parse(request.rawPhoneNumber);
  if (to === undefined) {
    return { delivery: failed("invalid_phone_number"), maskedDestination: UNPARSABLE_NUMBER_MASK };
  }
  const maskedDestination = maskPhoneNumber(to);
  if (request.channel !== "sms") {
    // Never send an SMS in place of a call: the user chose voice, and the caller may have another route.
    return { delivery: failed("channel_not_supported"), maskedDestination };
  }
  const message = { eventId: request.eventId, to, text: smsText(request), expiresAt: request.expiresAt };
  return { delivery: await ports.sms.send(message, signal), maskedDestination };
}
