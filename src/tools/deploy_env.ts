// `deno task deploy:env [--org ORG] [--app APP] [--apply] [FILE]`: moves the settings of a `.env` file (default
// `.env`) to a Deno Deploy app. Deploy refuses names it reserves (`OTEL_`, `DENO_`, `LD_`), and `deno deploy env
// load` would guess which values are secrets from their names and miss `..._AUTH`: this marks every credential
// as a secret, skips empty and reserved names and what Deploy does not use (HOST, PORT), and says so. Without
// --apply it only prints the plan, names and never values.
import { parseArgs } from "node:util";
import { CONFIG_VARIABLES, SECRET_VARIABLES } from "../config/config.ts";

/** One variable to set, or one left out and why. */
export type PlanEntry =
  | { readonly name: string; readonly value: string; readonly secret: boolean }
  | { readonly name: string; readonly skipped: string };

// Deno Deploy's rules for variable names (docs.deno.com/deploy/reference/env_vars_and_contexts, "Limits").
const DENO_NAMES_ALLOWED = ["DENO_AUTH_TOKENS", "DENO_COMPAT", "DENO_CONDITIONS", "DENO_DEPLOY_ENDPOINT"];
const NOT_USED_ON_DEPLOY = new Set(["HOST", "PORT", "DENO_DEPLOY", "DENO_DEPLOYMENT_ID", "KV_URL"]);

/** What `--apply` would set, from a `.env` file's text. */
export function deployPlan(dotenv: string): PlanEntry[] {
  const known = new Set<string>(CONFIG_VARIABLES);
  return parseDotenv(dotenv).map(([name, value]): PlanEntry => {
    if (/^(OTEL_|LD_)/.test(name) || (name.startsWith("DENO_") && !DENO_NAMES_ALLOWED.includes(name))) {
      return {
        name,
        skipped: "a name Deno Deploy reserves (its OpenTelemetry is configured by the platform)",
      };
    }
    if (NOT_USED_ON_DEPLOY.has(name)) return { name, skipped: "not used on Deno Deploy" };
    if (value === "") return { name, skipped: "empty" };
    if (!known.has(name)) return { name, skipped: "not a setting of this service" };
    return { name, value, secret: (SECRET_VARIABLES as readonly string[]).includes(name) };
  });
}

/** `KEY=VALUE` lines, `#` comments and blank lines ignored, one pair of surrounding quotes removed. */
export function parseDotenv(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match === null || line.trimStart().startsWith("#")) continue;
    const raw = match[2]!;
    const quoted = /^(["'])(.*)\1$/.exec(raw);
    pairs.push([match[1]!, quoted ? quoted[2]! : raw.replace(/\s+#.*$/, "")]);
  }
  return pairs;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { org: { type: "string" }, app: { type: "string" }, apply: { type: "boolean" } },
    allowPositionals: true,
  });
  const file = positionals[0] ?? ".env";
  const plan = deployPlan(await Deno.readTextFile(file));
  const where = [...(values.org ? ["--org", values.org] : []), ...(values.app ? ["--app", values.app] : [])];
  let failed = 0;
  for (const entry of plan) {
    if ("skipped" in entry) {
      console.log(`skip ${entry.name}: ${entry.skipped}`);
      continue;
    }
    console.log(`${values.apply ? "set" : "would set"} ${entry.name}${entry.secret ? " (secret)" : ""}`);
    if (!values.apply) continue;
    // The value goes to `deno deploy` as an argument, never to standard output.
    const args = [
      "deploy",
      "env",
      "add",
      entry.name,
      entry.value,
      ...(entry.secret ? ["--secret"] : []),
      ...where,
    ];
    const result = await new Deno.Command(Deno.execPath(), { args, stdout: "inherit", stderr: "inherit" })
      .output();
    if (!result.success) failed++;
  }
  if (!values.apply) {
    console.log(`\nNothing was changed. Run again with --apply to set these on Deno Deploy.`);
  }
  Deno.exit(failed === 0 ? 0 : 1);
}
