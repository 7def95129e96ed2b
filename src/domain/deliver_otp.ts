import { refusalFor } from "./abuse_policy.ts";
import { type Delivery, type DeliveryAttempt, failed } from "./delivery.ts";
import { maskPhoneNumber, UNPARSABLE_NUMBER_MASK } from "./mask.ts";
import { type OtpRequest, smsText } from "./otp_request.ts";
import type { AbuseRules } from "./abuse_rules.ts";
import type { Deadline, DeliveryPorts } from "./ports.ts";

// One passcode over the requested channel, by SMS or by voice call. Unusable numbers, abuse refusals and an
// unconfigured channel fail here, before any provider is called.
async function deliverFresh(
  request: OtpRequest,
  rules: AbuseRules,
  ports: DeliveryPorts,
  deadline: Deadline,
): Promise<DeliveryAttempt> {
  const to = ports.phoneNumbers.parse(request.rawPhoneNumber);
  if (to === undefined) {
    return { delivery: failed("invalid_phone_number"), maskedDestination: UNPARSABLE_NUMBER_MASK };
  }
  const attempt = (delivery: Delivery): DeliveryAttempt => ({
    delivery,
    maskedDestination: maskPhoneNumber(to),
    countryCallingCode: to.countryCallingCode,
  });
  // A passcode past its expiry is useless to the user and still billed. Previews carry the sample's old date.
  if (!request.preview && request.expiresAt !== undefined && request.expiresAt.getTime() <= ports.now()) {
    return attempt(failed("otp_expired"));
  }
  const refusal = await refusalFor(request, to, rules, ports.limiter);
  if (refusal !== undefined) return attempt(failed(refusal.reason, { metadata: { rule: refusal.rule } }));
  if (request.channel === "voice") {
    // Never send an SMS in place of a call: the user chose voice, and the caller may have another route.
    if (ports.voice === undefined) return attempt(failed("channel_not_configured"));
    const { eventId, otpCode, locale, expiresAt } = request;
    return attempt(await ports.voice.call({ eventId, to, otpCode, locale, expiresAt }, deadline));
  }
  const message = { eventId: request.eventId, to, text: smsText(request), expiresAt: request.expiresAt };
  return attempt(await ports.sms.send(message, deadline));
}

/**
 * The use case: deliver one passcode, at most once per event id. A repeated request gets the first result without
 * a second send, and concurrent copies wait for the first; a copy whose first is still in flight when its own time
 * runs out gets an unknown outcome (the passcode may be on its way). The operator's abuse rules are configuration;
 * the ports are everything the core reaches outside itself.
 */
export async function deliverOtp(
  request: OtpRequest,
  rules: AbuseRules,
  ports: DeliveryPorts,
  deadline: Deadline,
): Promise<DeliveryAttempt> {
  const claim = await ports.replays.claim(request.eventId, deadline);
  if (claim.kind === "replay") return { ...claim.attempt, replayed: true };
  if (claim.kind === "in_flight") {
    const delivery: Delivery = { outcome: "unknown", reason: "duplicate_in_flight", metadata: {} };
    return { delivery, maskedDestination: UNPARSABLE_NUMBER_MASK, replayed: true };
  }
  let attempt: DeliveryAttempt;
  try {
    attempt = await deliverFresh(request, rules, ports, deadline);
  } catch (error) {
    await ports.replays.release(request.eventId);
    throw error;
  }
  await ports.replays.complete(request.eventId, attempt);
  return attempt;
}
