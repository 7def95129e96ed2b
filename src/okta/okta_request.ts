import { z } from "zod";
import type { Channel, OtpRequest } from "../domain/otp_request.ts";

// Identifiers and codes are printable ASCII: nothing that could split a log line or smuggle a control character.
const token = (max: number) => z.string().min(1).max(max).regex(/^[\x21-\x7E]+$/, "must be printable ASCII");

// Bounds keep hostile bodies cheap; each is far above anything Okta sends.
const messageProfileSchema = z.object({
  phoneNumber: z.string().min(1).max(64),
  deliveryChannel: z.string().min(1).max(32),
  otpCode: token(32),
  // A template that cleans down to nothing falls back to the plain text with the code.
  msgTemplate: z.string().min(1).max(2048).transform((text) => cleanText(text) || undefined).optional(),
  otpExpires: z.iso.datetime({ offset: true }).optional(),
  locale: token(64).optional(),
});

const hookRequestSchema = z.object({
  eventId: token(128),
  requestType: token(128).optional(),
  data: z.object({
    messageProfile: messageProfileSchema,
    // Context fields are informational: an odd shape there must not cost a user their passcode.
    userProfile: z.object({ userId: token(64).optional() }).optional().catch(undefined),
    context: z.object({ request: z.object({ url: z.object({ value: z.string().max(1024) }) }) }).optional()
      .catch(undefined),
  }),
});

// The Admin Console's "Preview" sends its test requests from this endpoint.
const PREVIEW_PATH = "/com.okta.telephony.provider/generatePreview";

/** The fields of Okta's request worth logging: none of them personal. */
export interface HookEvent {
  readonly eventId: string;
  readonly requestType?: string;
}

/** One reason a request body was refused, pointing at the field. */
export interface FieldProblem {
  readonly location: string;
  readonly problem: string;
}

/** The outcome of reading Okta's JSON. */
export type ParsedHookRequest =
  | { readonly ok: true; readonly event: HookEvent; readonly request: OtpRequest }
  | { readonly ok: false; readonly problems: readonly FieldProblem[] };

/** Reads Okta's telephony hook JSON into the domain request. Unknown fields are ignored, as Okta adds some. */
export function parseOktaRequest(body: unknown): ParsedHookRequest {
  const parsed = hookRequestSchema.safeParse(body);
  if (!parsed.success) {
    // zod's messages name the expected type, never the value received, so no OTP is echoed.
    const problems = parsed.error.issues.map((issue) => ({
      location: issue.path.join(".") || "(body)",
      problem: issue.message,
    }));
    return { ok: false, problems };
  }
  const { eventId, requestType, data: { messageProfile: profile, userProfile, context } } = parsed.data;
  const channel = channelOf(profile.deliveryChannel);
  if (channel === undefined) {
    return {
      ok: false,
      problems: [{ location: "data.messageProfile.deliveryChannel", problem: "expected SMS or voice call" }],
    };
  }
  return {
    ok: true,
    event: { eventId, requestType },
    request: {
      eventId,
      channel,
      rawPhoneNumber: profile.phoneNumber,
      otpCode: profile.otpCode,
      messageText: profile.msgTemplate,
      expiresAt: profile.otpExpires === undefined ? undefined : new Date(profile.otpExpires),
      locale: profile.locale,
      userId: userProfile?.userId,
      preview: context?.request.url.value.endsWith(PREVIEW_PATH) ?? false,
    },
  };
}

// Okta documents `SMS` and `voice call`; `Voice` and `CALL` are seen in the wild too.
function channelOf(deliveryChannel: string): Channel | undefined {
  const name = deliveryChannel.trim().toLowerCase();
  if (name === "sms") return "sms";
  if (name === "voice call" || name === "voice" || name === "call") return "voice";
  return undefined;
}

// Control characters other than tab and newlines have no place in an SMS, and a lone surrogate (valid in JSON,
// invalid in UTF-8) would make 8x8 reject the text: drop the first, replace the second with U+FFFD.
function cleanText(text: string): string {
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, "").toWellFormed();
}
