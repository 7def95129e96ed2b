// `deno task preview [file] [--url URL]`: sends Okta's preview request (or your own file) to a running service
// and prints the answer, as the Admin Console's "View Response" does.
import { parseArgs } from "node:util";
import { loadConfig, readEnvironment } from "../config.ts";

const DEFAULT_SAMPLE = new URL("../../tests/contracts/okta/request-sms-preview.json", import.meta.url);

if (import.meta.main) Deno.exit(await preview(Deno.args));

async function preview(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { url: { type: "string" } },
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
  const url = values.url ?? `http://127.0.0.1:${config.port}${config.hookPath}`;
  const body = freshen(await Deno.readTextFile(positionals[0] ?? DEFAULT_SAMPLE));
  const response = await fetch(url, {
    method: "POST",
    headers: { [config.authHeader]: config.authSecrets[0]!, "content-type": "application/json" },
    body,
  });
  const text = await response.text();
  console.log(`HTTP ${response.status} from ${url}`);
  try {
    console.log(JSON.stringify(JSON.parse(text), null, 2));
  } catch {
    console.log(text);
  }
  return response.ok ? 0 : 1;
}

/**
 * Okta's documented sample expired in 2022, and 8x8 drops a message past its expiry. Like the Admin Console's
 * "Generate Request", move a past `otpExpires` five minutes ahead so a real 8x8 would deliver the preview.
 */
function freshen(text: string): string {
  let request;
  try {
    request = JSON.parse(text);
  } catch {
    return text; // sent as it is: the service's 400 is what the user wants to see
  }
  const profile = request?.data?.messageProfile;
  const expires = Date.parse(profile?.otpExpires);
  if (Number.isNaN(expires) || expires > Date.now()) return text;
  profile.otpExpires = new Date(Date.now() + 5 * 60_000).toISOString();
  console.error(`note: otpExpires was in the past; sending ${profile.otpExpires} instead`);
  return JSON.stringify(request);
}
