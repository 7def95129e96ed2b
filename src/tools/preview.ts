// `deno task preview [file] [--url URL] [--phone +E164] [--event-id ID]`: sends Okta's preview request (or your
// own file) to a running service and prints the answer, as the Admin Console's "View Response" does.
import { parseArgs } from "node:util";
import { REPLAYED_HEADER } from "../okta/telephony_hook.ts";
import { loadConfig, readEnvironment } from "../config/config.ts";

const DEFAULT_SAMPLE = new URL("../../tests/contracts/okta/request-sms-preview.json", import.meta.url);

if (import.meta.main) Deno.exit(await preview(Deno.args));

async function preview(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { url: { type: "string" }, phone: { type: "string" }, "event-id": { type: "string" } },
    allowPositionals: true,
  });
  const result = loadConfig(readEnvironment(), () => "");
  if (!result.ok) {
    console.error(`Configuration problems:\n${result.problems.map((p) => `  - ${p}`).join("\n")}`);
    return 2;
  }
  const { config } = result;
  if (config.authSecretGenerated) {
    console.error(
      "Set OKTA_AUTH_SECRET to the secret the service accepts (the sandbox banner prints its own).",
    );
    return 2;
  }
  // Okta's sample goes to a placeholder number in Iran (+98): with real 8x8 settings that is a paid SMS to a
  // stranger, so the sample needs a number of yours.
  if (positionals[0] === undefined && values.phone === undefined && config.provider.kind === "8x8") {
    console.error(
      "The service sends real SMS: pass --phone +<your number> (Okta's sample number is a placeholder).",
    );
    return 2;
  }
  const url = values.url ?? `http://127.0.0.1:${config.port}${config.hookPath}`;
  // A fresh eventId per run, as Okta makes one per request; the same id again is a replay, answered without a send.
  const eventId = values["event-id"] ?? newEventId();
  const body = prepare(await Deno.readTextFile(positionals[0] ?? DEFAULT_SAMPLE), eventId, values.phone);
  const response = await fetch(url, {
    method: "POST",
    headers: { [config.authHeader]: config.authSecrets[0]!, "content-type": "application/json" },
    body,
  });
  const text = await response.text();
  console.log(`HTTP ${response.status} from ${url}`);
  if (response.ok) {
    console.log(
      response.headers.get(REPLAYED_HEADER) === "true"
        ? `eventId ${eventId}: replayed, the answer of an earlier delivery; nothing new was sent`
        : `eventId ${eventId}: a new delivery`,
    );
  }
  try {
    console.log(JSON.stringify(JSON.parse(text), null, 2));
  } catch {
    console.log(text);
  }
  return response.ok ? 0 : 1;
}

function newEventId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Sets the eventId (and the number, when given). Okta's documented sample expired in 2022, and 8x8 drops a
 * message past its expiry: like the Admin Console's "Generate Request", a past `otpExpires` moves five minutes
 * ahead so a real 8x8 would deliver the preview.
 */
function prepare(text: string, eventId: string, phone: string | undefined): string {
  let request;
  try {
    request = JSON.parse(text);
  } catch {
    return text; // sent as it is: the service's 400 is what the user wants to see
  }
  if (request !== null && typeof request === "object") request.eventId = eventId;
  const profile = request?.data?.messageProfile;
  if (phone !== undefined && profile) profile.phoneNumber = phone;
  const expires = Date.parse(profile?.otpExpires);
  if (Number.isNaN(expires) || expires > Date.now()) return JSON.stringify(request);
  profile.otpExpires = new Date(Date.now() + 5 * 60_000).toISOString();
  console.error(`note: otpExpires was in the past; sending ${profile.otpExpires} instead`);
  return JSON.stringify(request);
}
