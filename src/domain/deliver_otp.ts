import {
  type CountedLimit,
  destinationRefusal,
  limitRefusal,
  limitsFor,
  type Refusal,
} from "./abuse_policy.ts";
import { type Delivery, type DeliveryAttempt, failed } from "./delivery.ts";
import { maskPhoneNumber, UNPARSABLE_NUMBER_MASK } from "./mask.ts";
import { type OtpRequest, type PhoneNumber, smsText } from "./otp_request.ts";
import type { AbuseRules } from "./abuse_rules.ts";
import type { Claim, Deadline, DeliveryPorts } from "./ports.ts";

// What the request and the rules decide before anything is remembered or counted: the destination, a failure
// that needs no provider, and the limits a passcode to it counts against.
interface Checked {
  readonly attempt: (delivery: Delivery) => DeliveryAttempt;
  readonly to?: PhoneNumber;
  readonly failure?: Delivery;
  readonly limits: readonly CountedLimit[];
}

function check(request: OtpRequest, rules: AbuseRules, ports: DeliveryPorts): Checked {
  const to = ports.phoneNumbers.parse(request.rawPhoneNumber);
  if (to === undefined) {
    return {
      attempt: (delivery) => ({ delivery, maskedDestination: UNPARSABLE_NUMBER_MASK }),
      failure: failed("invalid_phone_number"),
      limits: [],
    };
  }
  const attempt = (delivery: Delivery): DeliveryAttempt => ({
    delivery,
    maskedDestination: maskPhoneNumber(to),
    countryCallingCode: to.countryCallingCode,
  });
  // A passcode past its expiry is useless to the user and still billed. Previews carry the sample's old date.
  if (!request.preview && request.expiresAt !== undefined && request.expiresAt.getTime() <= ports.now()) {
    return { attempt, to, failure: failed("otp_expired"), limits: [] };
  }
  const refusal = destinationRefusal(request, to, rules);
  if (refusal !== undefined) {
    return { attempt, to, failure: failed(refusal.reason, { metadata: { rule: refusal.rule } }), limits: [] };
  }
  const limits = limitsFor(request, to, rules);
  // A bug in the wiring, not an outcome: a configured limit must never go uncounted.
  if (limits.length > 0 && ports.limiter === undefined && ports.replays.claimAndTake === undefined) {
    throw new Error(`the ${limits[0]!.rule} rate limit is set, and no limiter counts it`);
  }
  return { attempt, to, limits };
}

// Claims the event id and counts the passcode against its limits: in one write where the store offers it.
async function admit(
  eventId: string,
  limits: readonly CountedLimit[],
  ports: DeliveryPorts,
  deadline: Deadline,
): Promise<{ claim: Claim; refusal?: Refusal }> {
  const takes = limits.map((limit) => limit.take);
  if (takes.length > 0 && ports.replays.claimAndTake !== undefined) {
    const counted = await ports.replays.claimAndTake(eventId, deadline, takes);
    if (counted.kind !== "claimed") return { claim: counted };
    return { claim: counted, refusal: limitRefusal(limits, counted.refused) };
  }
  const claim = await ports.replays.claim(eventId, deadline);
  if (claim.kind !== "claimed" || takes.length === 0) return { claim };
  return { claim, refusal: limitRefusal(limits, await ports.limiter!.take(takes)) };
}

// One passcode over the requested channel, by SMS or by voice call, once checked and admitted.
async function send(
  request: OtpRequest,
  to: PhoneNumber,
  ports: DeliveryPorts,
  deadline: Deadline,
): Promise<Delivery> {
  if (request.channel === "voice") {
    // Never send an SMS in place of a call: the user chose voice, and the caller may have another route.
    if (ports.voice === undefined) return failed("channel_not_configured");
    const { eventId, otpCode, locale, expiresAt } = request;
    return await ports.voice.call({ eventId, to, otpCode, locale, expiresAt }, deadline);
  }
  const message = { eventId: request.eventId, to, text: smsText(request), expiresAt: request.expiresAt };
  return await ports.sms.send(message, deadline);
}

/**
 * The use case: deliver one passcode, at most once per event id. A repeated request gets the first result without
 * a second send, and concurrent copies wait for the first; a copy whose first is still in flight when its own time
 * runs out gets an unknown outcome (the passcode may be on its way). Unusable numbers, abuse refusals and an
 * unconfigured channel fail before any provider is called. The operator's abuse rules are configuration; the
 * ports are everything the core reaches outside itself.
 */
export async function deliverOtp(
  request: OtpRequest,
  rules: AbuseRules,
  ports: DeliveryPorts,
  deadline: Deadline,
): Promise<DeliveryAttempt> {
  const checked = check(request, rules, ports);
  const { claim, refusal } = await admit(request.eventId, checked.limits, ports, deadline);
  if (claim.kind === "replay") return { ...claim.attempt, replayed: true };
  if (claim.kind === "in_flight") {
    const delivery: Delivery = { outcome: "unknown", reason: "duplicate_in_flight", metadata: {} };
    return { delivery, maskedDestination: UNPARSABLE_NUMBER_MASK, replayed: true };
  }
  let attempt: DeliveryAttempt;
  try {
    if (checked.failure !== undefined) attempt = checked.attempt(checked.failure);
    else if (refusal !== undefined) {
      attempt = checked.attempt(failed(refusal.reason, { metadata: { rule: refusal.rule } }));
    } else attempt = checked.attempt(await send(request, checked.to!, ports, deadline));
  } catch (error) {
    await ports.replays.release(request.eventId);
    throw error;
  }
  await ports.replays.complete(request.eventId, attempt);
  return attempt;
}
