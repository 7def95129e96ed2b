import { SpanKind } from "@opentelemetry/api";
import { deliverOtp, type DeliveryAttempt } from "../../../domain/deliver_otp.ts";
import type { OtpRequest } from "../../../domain/otp_request.ts";
import type { DeliveryPorts } from "../../../domain/ports.ts";
import { markFailed, tracer } from "../../tracing.ts";

/**
 * The use case inside an INTERNAL span that records the channel, the outcome and the reason code: the core
 * stays free of OpenTelemetry. Only the masked destination is recorded, never the code or the text.
 */
export function deliverOtpTraced(
  request: OtpRequest,
  ports: DeliveryPorts,
  signal: AbortSignal,
): Promise<DeliveryAttempt> {
  const attributes = { "otp.channel": request.channel };
  return tracer.startActiveSpan("deliver_otp", { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      const attempt = await deliverOtp(request, ports, signal);
      const { delivery } = attempt;
      span.setAttribute("otp.outcome", delivery.outcome);
      span.setAttribute("otp.destination", attempt.maskedDestination);
      if (delivery.provider !== undefined) span.setAttribute("otp.provider", delivery.provider);
      if (delivery.outcome !== "delivered") {
        span.setAttribute("otp.reason", delivery.reason);
        markFailed(span, delivery.reason);
      }
      return attempt;
    } catch (error) {
      markFailed(span, "internal_error", error);
      throw error;
    } finally {
      span.end();
    }
  });
}
