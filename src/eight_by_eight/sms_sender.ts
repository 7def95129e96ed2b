import type { HttpAnswer } from "../http/pooled_client.ts";
import { type Delivery, failed, type FailureReason } from "../domain/delivery.ts";
import type { Deadline, SmsMessage, SmsSender } from "../domain/ports.ts";
import {
  type Classified,
  classifyError,
  compact,
  EIGHT_BY_EIGHT,
  parseJsonObject,
  redactNumbers,
  unknown,
} from "./classify.ts";
import { createEightByEightClient, type SenderOptions, subaccountUrl } from "./client.ts";

export { EIGHT_BY_EIGHT };

/** Settings for `createEightByEightSms`. */
export interface EightByEightSmsOptions extends SenderOptions {
  /** A regional host such as `https://sms.8x8.com`, without a trailing path. */
  readonly baseUrl: string;
  readonly subaccountId: string;
  /** Sender ID or virtual number; 8x8 uses the subaccount's default when absent. */
  readonly source?: string;
}

/**
 * Sends SMS through 8x8's `POST /api/v1/subaccounts/{id}/messages`, inside the request's deadline.
 * A send is retried only when 8x8 certainly did not take the message (no connection, 429, 503), because 8x8
 * does not de-duplicate and a retry must never mean a second SMS.
 */
export function createEightByEightSms(options: EightByEightSmsOptions): SmsSender {
  const post = createEightByEightClient({
    ...options,
    url: subaccountUrl(options.baseUrl, options.subaccountId, "messages"),
    operation: { name: "8x8 send sms", idAttribute: "eightbyeight.umid" },
  });
  return {
    send(message: SmsMessage, deadline: Deadline): Promise<Delivery> {
      const body = JSON.stringify({
        source: options.source,
        destination: message.to.e164,
        text: message.text,
        encoding: "AUTO",
        clientMessageId: message.eventId,
        expiry: message.expiresAt?.toISOString(),
      });
      return post(body, deadline, classifySmsResponse);
    },
  };
}

/** Classifies an answer of 8x8's SMS API (its body already read as text). */
export function classifySmsResponse(response: HttpAnswer, text: string): Classified {
  const json = parseJsonObject(text);
  if (response.status === 200) return { delivery: accepted(json), retryable: false };
  return classifyError(response, {
    code: json?.code,
    message: json?.message,
    errorId: json?.errorId,
  }, reasonForStatus(response.status, json?.code));
}

function accepted(json: Record<string, unknown> | undefined): Delivery {
  const umid = json?.umid;
  const status = json?.status as Record<string, unknown> | undefined;
  if (typeof umid !== "string" || typeof status?.code !== "string") {
    // 8x8 said 200 but we cannot read what it accepted: the SMS may be on its way.
    return unknown("unreadable_response", { httpStatus: "200" });
  }
  if (status.code === "REJECTED") {
    const metadata = compact({ umid, status: "REJECTED", message: redactNumbers(status.description) });
    return failed("provider_rejected", { provider: EIGHT_BY_EIGHT, metadata });
  }
  const metadata = compact({ status: status.code, encoding: json?.encoding });
  return { outcome: "delivered", provider: EIGHT_BY_EIGHT, transactionId: umid, metadata };
}

// 8x8's documented error codes: 1002 is "Invalid MSISDN"; 401 is an unknown or revoked API key.
function reasonForStatus(status: number, code: unknown): FailureReason {
  if (status === 400 && code === 1002) return "invalid_phone_number";
  if (status === 401 || status === 403) return "provider_auth_failed";
  if (status === 429) return "provider_rate_limited";
  if (status >= 500) return "provider_unavailable";
  return "provider_rejected";
}
