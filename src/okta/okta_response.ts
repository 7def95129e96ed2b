import type { Delivery } from "../domain/delivery.ts";

/** The statuses Okta accepts in a telephony action. */
export type OktaTelephonyStatus = "SUCCESSFUL" | "PENDING" | "FAILED";

/** Okta's telephony hook answer: one command holding one action, every field a string. */
export interface OktaTelephonyResponse {
  readonly commands: readonly [{
    readonly type: "com.okta.telephony.action";
    readonly value: readonly [{
      readonly status: OktaTelephonyStatus;
      readonly provider: string;
      readonly transactionId: string;
      readonly transactionMetadata: string;
    }];
  }];
}

const STATUS_BY_OUTCOME: Readonly<Record<Delivery["outcome"], OktaTelephonyStatus>> = {
  delivered: "SUCCESSFUL",
  // FAILED lets Okta fall back to its own provider, so the user can still get a code.
  failed: "FAILED",
  // PENDING: the provider may have accepted it; a fallback could send the user a second code.
  unknown: "PENDING",
};

/**
 * The one place a delivery becomes Okta's answer. Every outcome is a valid command, never an error object,
 * so Okta records the reason in its System Log and never shows internals to the end user.
 */
export function toOktaResponse(delivery: Delivery, eventId: string): OktaTelephonyResponse {
  const details = delivery.outcome === "delivered"
    ? delivery.metadata
    : { reason: delivery.reason, ...delivery.metadata };
  return {
    commands: [{
      type: "com.okta.telephony.action",
      value: [{
        status: STATUS_BY_OUTCOME[delivery.outcome],
        provider: delivery.provider ?? "none",
        transactionId: delivery.outcome === "delivered" ? delivery.transactionId : eventId,
        transactionMetadata: Object.entries(details).map(([key, value]) => `${key}=${value}`).join(", "),
      }],
    }],
  };
}
