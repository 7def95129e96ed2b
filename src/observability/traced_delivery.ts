import { context, SpanKind } from "./otel_api.ts";
import { deliverOtp } from "../domain/deliver_otp.ts";
import type { AbuseRules } from "../domain/abuse_rules.ts";
import type { DeliveryAttempt } from "../domain/delivery.ts";
import type { OtpRequest } from "../domain/otp_request.ts";
import type { Deadline, DeliveryPorts } from "../domain/ports.ts";
import { markFailed, runInSpan, tracer } from "./tracing.ts";

/**
 * The use case inside an INTERNAL span that records the channel, the outcome and the reason code: the core
 * stays free of OpenTelemetry. Only the masked destination is recorded, never the code or the text.
 */
export function deliverOtpTraced(
  request: OtpRequest,
  rules: AbuseRules,
  ports: DeliveryPorts,
  deadline: Deadline,
): Promise<DeliveryAttempt> {
  const attributes = { "otp.channel": request.channel };
  const span = tracer.startSpan("deliver_otp", { kind: SpanKind.INTERNAL, attributes });
  return runInSpan(span, context.active(), async () => {
    const attempt = await deliverOtp(request, rules, ports, deadline);
    const { delivery } = attempt;
    span.setAttribute("otp.outcome", delivery.outcome);
    span.setAttribute("otp.destination", attempt.maskedDestination);
    if (attempt.replayed) span.setAttribute("otp.replayed", true);
    if (delivery.provider !== undefined) span.setAttribute("otp.provider", delivery.provider);
    if (delivery.outcome !== "delivered") {
      span.setAttribute("otp.reason", delivery.reason);
      if (delivery.metadata.rule !== undefined) span.setAttribute("otp.rule", delivery.metadata.rule);
      markFailed(span, delivery.reason);
    }
    return attempt;
  });
}
