import type { HttpAnswer } from "../http/pooled_client.ts";
import type { Delivery, FailureReason } from "../domain/delivery.ts";
import type { Deadline, VoiceCall, VoiceCaller } from "../domain/ports.ts";
import {
  type Classified,
  classifyError,
  compact,
  EIGHT_BY_EIGHT,
  parseJsonObject,
  unknown,
} from "./classify.ts";
import { createEightByEightClient, type SenderOptions, subaccountUrl } from "./client.ts";
import { voiceProfileFor, voiceText } from "./voice_script.ts";

/** Settings for `createEightByEightVoice`. */
export interface EightByEightVoiceOptions extends SenderOptions {
  /** `https://voice.8x8.com` unless 8x8 says otherwise. */
  readonly baseUrl: string;
  /** A voice-enabled subaccount. */
  readonly subaccountId: string;
  /** The caller ID: a number 8x8 has whitelisted for this subaccount. */
  readonly source: string;
  /** The voice profile for locales the table does not know. */
  readonly defaultProfile: string;
}

/**
 * Calls the user through 8x8's Voice Messaging API (`POST .../callflows`): makeCall, say the code twice digit by
 * digit, hang up, with `validUntil` = the code's expiry. Okta's transaction id is 8x8's `sessionId`.
 */
export function createEightByEightVoice(options: EightByEightVoiceOptions): VoiceCaller {
  const post = createEightByEightClient({
    ...options,
    url: subaccountUrl(options.baseUrl, options.subaccountId, "callflows"),
    operation: { name: "8x8 voice call", idAttribute: "eightbyeight.session_id" },
  });
  return {
    call(call: VoiceCall, deadline: Deadline): Promise<Delivery> {
      const voiceProfile = voiceProfileFor(call.locale, options.defaultProfile);
      const body = JSON.stringify({
        validUntil: call.expiresAt?.toISOString(),
        callflow: [
          { action: "makeCall", params: { source: options.source, destination: call.to.e164 } },
          {
            action: "say",
            params: { text: voiceText(call.otpCode, voiceProfile), voiceProfile, repetition: 1 },
          },
          { action: "hangup" },
        ],
      });
      return post(body, deadline, classifyVoiceResponse);
    },
  };
}

/** Reads the Voice API's answers, whose errors carry `sessionStatus`, `statusCode` and `statusMessage`. */
export function classifyVoiceResponse(response: HttpAnswer, text: string): Classified {
  const json = parseJsonObject(text);
  const code = json?.statusCode;
  if (response.status === 200) {
    const { sessionId, sessionStatus } = json ?? {};
    if (typeof sessionId !== "string" || typeof sessionStatus !== "string") {
      return { delivery: unknown("unreadable_response", { httpStatus: "200" }), retryable: false };
    }
    const metadata = compact({ status: sessionStatus, code });
    if (sessionStatus === "CREATED") {
      return {
        delivery: { outcome: "delivered", provider: EIGHT_BY_EIGHT, transactionId: sessionId, metadata },
        retryable: false,
      };
    }
    return {
      delivery: { outcome: "failed", reason: "provider_rejected", provider: EIGHT_BY_EIGHT, metadata },
      retryable: false,
    };
  }
  const detail = { code, message: json?.statusMessage, errorId: json?.callFlowRequestId };
  return classifyError(response, detail, voiceReason(response.status, code));
}

// 8x8's voice codes: -1017 a destination it cannot call; -1002 an unknown voice profile; -1014 a caller ID
// that is not whitelisted. The last two, and an unknown subaccount, need an operator, not a retry.
function voiceReason(status: number, code: unknown): FailureReason {
  if (code === -1017) return "invalid_phone_number";
  if (code === -1002 || code === -1014 || status === 404) return "provider_misconfigured";
  if (status === 401 || status === 403) return "provider_auth_failed";
  if (status === 429) return "provider_rate_limited";
  if (status >= 500) return "provider_unavailable";
  return "provider_rejected";
}
