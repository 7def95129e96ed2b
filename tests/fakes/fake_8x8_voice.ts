// The Voice Messaging half of the fake 8x8, from 8x8's voice OpenAPI file: callflow requests are checked against
// the published schema (and the rule that makeCall comes first), and answered with the documented examples.
import { type Schema, violations } from "./json_schema.ts";

const VOICE_API = JSON.parse(
  Deno.readTextFileSync(new URL("../contracts/8x8/voice_v1_api.json", import.meta.url)),
);
const CALLFLOWS = VOICE_API.paths["/api/v1/subaccounts/{subAccountId}/callflows"].post;
const CALLFLOW_REQUEST: Schema = CALLFLOWS.requestBody.content["application/json"].schema;
const ROUTE = /^\/api\/v1\/subaccounts\/([^/]+)\/callflows$/;

/** Voice answers beyond the shared ones; the codes are those 8x8 documents for the Voice API. */
export type VoiceScenario = "voice_bad_profile" | "voice_caller_id" | "voice_bad_destination";

/** The documented example body of a callflows answer with this HTTP status. */
export function voiceExample(status: number): Record<string, unknown> {
  return { ...CALLFLOWS.responses[String(status)].content["application/json"].examples.response.value };
}

/** Checks a callflow request; returns what it broke. */
export function voiceViolations(path: string, subaccountId: string, body: unknown): string[] {
  const found: string[] = [];
  const match = ROUTE.exec(path);
  if (match === null || decodeURIComponent(match[1]!) !== subaccountId) {
    found.push("not the configured voice subaccount's callflows path");
  }
  found.push(...violations(VOICE_API, CALLFLOW_REQUEST, body));
  const say = (body as { callflow?: { action: string; params?: { text?: string; repetition?: number } }[] })
    ?.callflow?.find((action) => action.action === "say");
  if (say?.params?.text !== undefined && say.params.text.length > 3000) {
    found.push("say.text is over 3000 characters");
  }
  const repetition = say?.params?.repetition;
  if (repetition !== undefined && (repetition < 1 || repetition > 3)) {
    found.push("say.repetition is not 1 to 3");
  }
  return found;
}

/** 8x8's answer when the first action is not makeCall, as its example shows. */
export function makeCallFirst(body: unknown): Response | undefined {
  const first = (body as { callflow?: { action?: string }[] })?.callflow?.[0]?.action;
  return first === "makeCall" ? undefined : Response.json(voiceExample(422), { status: 422 });
}

/** The voice answer for a scenario, or undefined when it is not a voice-specific one. */
export function voiceAnswer(scenario: string): Response | undefined {
  const error = (statusCode: number, statusMessage: string) =>
    Response.json({ ...voiceExample(400), statusCode, statusMessage }, { status: 400 });
  switch (scenario) {
    case "queued":
      return Response.json({
        ...voiceExample(200),
        sessionId: crypto.randomUUID(),
        callFlowRequestId: crypto.randomUUID(),
      });
    case "voice_bad_profile":
      return error(-1002, "Invalid voice profile");
    case "voice_caller_id":
      return error(-1014, "Caller ID is not allowed for this subaccount");
    case "voice_bad_destination":
      return error(-1017, "Invalid destination");
    case "unauthenticated":
      return Response.json(voiceExample(401), { status: 401 });
    case "server_error":
      return Response.json(voiceExample(500), { status: 500 });
  }
  return undefined;
}

/** A request the schema rejects, in the Voice API's error shape. */
export function voiceInvalid(found: readonly string[]): Response {
  return Response.json({ ...voiceExample(400), statusMessage: found.join("; ") }, { status: 400 });
}
