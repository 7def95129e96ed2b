/**
 * Stable reason codes for a delivery that did not happen. They appear in logs, answers and traces,
 * so operators can alert on them: never rename one, only add.
 */
export type FailureReason =
  | "invalid_phone_number"
  /** The requested channel (voice) has no provider configured. */
  | "channel_not_configured"
  /** The provider refused our own settings: a voice profile, a caller ID, a subaccount. An operator must act. */
  | "provider_misconfigured"
  /** Refused by the abuse policy before any send: not a valid number for its country. */
  | "number_invalid"
  /** Refused by the abuse policy: the destination country is not allowed. */
  | "country_not_allowed"
  /** Refused by the abuse policy: a blocked number type, such as premium rate. */
  | "number_type_not_allowed"
  /** Refused by the abuse policy: too many passcodes for this number, user or country. */
  | "rate_limited"
  /** The passcode had expired before it could be sent: the user must ask for a new one. */
  | "otp_expired"
  | "provider_rejected"
  | "provider_auth_failed"
  | "provider_rate_limited"
  | "provider_unavailable";

/** Reasons why the outcome of a send cannot be told: the provider may or may not have accepted it. */
export type UnknownReason =
  | "timeout"
  | "network_error"
  | "unreadable_response"
  /** A gateway in front of the provider failed (502, 504) after the provider may have taken the message. */
  | "gateway_error"
  /** An earlier copy of the same request is still being delivered. */
  | "duplicate_in_flight";

/** Facts about a delivery that are safe to log and to show an administrator. */
export type DeliveryMetadata = Readonly<Record<string, string>>;

/** The result of trying to deliver one passcode. Expected failures are values, never exceptions. */
export type Delivery =
  | {
    readonly outcome: "delivered";
    readonly provider: string;
    /** The provider's own id for the message. */
    readonly transactionId: string;
    readonly metadata: DeliveryMetadata;
  }
  | {
    readonly outcome: "failed";
    readonly reason: FailureReason;
    readonly provider?: string;
    readonly metadata: DeliveryMetadata;
  }
  | {
    readonly outcome: "unknown";
    readonly reason: UnknownReason;
    readonly provider?: string;
    readonly metadata: DeliveryMetadata;
  };

/** Builds a failed delivery. */
export function failed(
  reason: FailureReason,
  options: { provider?: string; metadata?: DeliveryMetadata } = {},
): Extract<Delivery, { outcome: "failed" }> {
  return { outcome: "failed", reason, provider: options.provider, metadata: options.metadata ?? {} };
}

/** What the use case did, with the destination already masked for logs and traces. */
export interface DeliveryAttempt {
  readonly delivery: Delivery;
  readonly maskedDestination: string;
  /** The destination's country calling code, when the number could be read. */
  readonly countryCallingCode?: string;
  /** True when this result was first given to an earlier copy of the same request. */
  readonly replayed?: boolean;
}
