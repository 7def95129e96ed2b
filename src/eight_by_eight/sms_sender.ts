import type { Delivery } from "../domain/delivery.ts";
import type { Deadline, SmsMessage, SmsSender } from "../domain/ports.ts";
import type { HttpSpans } from "../observability/tracing.ts";
import { classifySmsResponse, EIGHT_BY_EIGHT } from "./classify.ts";
import { type ClientOptions, createEightByEightClient, type RetryOptions, subaccountUrl } from "./client.ts";

export { EIGHT_BY_EIGHT };
export type { RetryOptions };

/** Settings for `createEightByEightSms`. */
export interface EightByEightSmsOptions {
  /** A regional host such as `https://sms.8x8.com`, without a trailing path. */
  readonly baseUrl: string;
  readonly subaccountId: string;
  readonly apiKey: string;
  /** Sender ID or virtual number; 8x8 uses the subaccount's default when absent. */
  readonly source?: string;
  readonly userAgent?: string;
  readonly fetch?: typeof fetch;
  readonly httpSpans?: HttpSpans;
  readonly retry?: RetryOptions;
  /** Told of every attempt and its duration. */
  readonly onAttempt?: ClientOptions["onAttempt"];
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
