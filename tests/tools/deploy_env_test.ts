// Moving a .env to Deno Deploy: reserved names left out, every credential a secret, values never printed.
import assert from "node:assert/strict";
import { SECRET_VARIABLES } from "../../src/config/config.ts";
import { deployPlan, parseDotenv } from "../../src/tools/deploy_env.ts";
import { runDeno } from "../support/subprocess.ts";

const EXAMPLE = Deno.readTextFileSync(new URL("../../.env.example", import.meta.url));
const TOOL = new URL("../../src/tools/deploy_env.ts", import.meta.url).pathname;

// .env.example with a value for every setting, as an operator's filled-in copy would be.
const filled = parseDotenv(EXAMPLE).map(([name]) => `${name}=value-of-${name}`).join("\n") +
  "\nOTEL_SDK_DISABLED=true\n";

Deno.test("[deploy env] the plan sets no reserved name, marks every credential a secret, and nothing else", () => {
  const plan = deployPlan(filled);
  const set = plan.filter((entry) => "value" in entry) as { name: string; secret: boolean }[];
  assert.ok(set.length > 10);
  assert.deepEqual(set.filter((entry) => /^(OTEL_|DENO_|LD_)/.test(entry.name)), []);
  assert.deepEqual(
    set.filter((entry) => entry.secret).map((entry) => entry.name).sort(),
    SECRET_VARIABLES.filter((name) => set.some((entry) => entry.name === name)).sort(),
  );
  for (const name of ["OKTA_AUTH_SECRET", "EIGHTBYEIGHT_API_KEY", "EIGHTBYEIGHT_DLR_AUTH", "METRICS_AUTH"]) {
    assert.ok(set.find((entry) => entry.name === name)?.secret, `${name} is a secret`);
  }
  const skipped = plan.filter((entry) => "skipped" in entry).map((entry) => entry.name);
  assert.ok(skipped.includes("OTEL_SDK_DISABLED") && skipped.includes("HOST") && skipped.includes("PORT"));
});

Deno.test("[deploy env] .env syntax: comments, quotes, export and empty values", () => {
  assert.deepEqual(parseDotenv("# note\nexport A=1\nB='two words'\nC=\"x=y\"\nD=\nE=v # trailing\n"), [
    ["A", "1"],
    ["B", "two words"],
    ["C", "x=y"],
    ["D", ""],
    ["E", "v"],
  ]);
});

Deno.test("[deploy env] without --apply it prints names only, never a value, and changes nothing", async () => {
  const folder = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${folder}/.env`,
      "OKTA_AUTH_SECRET=very-secret-value-123\nOTEL_SERVICE_NAME=x\n",
    );
    const output = await runDeno(["run", "--allow-read", "--allow-env", TOOL, `${folder}/.env`], {}).output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0);
    assert.match(stdout, /would set OKTA_AUTH_SECRET \(secret\)/);
    assert.match(stdout, /skip OTEL_SERVICE_NAME: a name Deno Deploy reserves/);
    assert.doesNotMatch(stdout, /very-secret-value-123/);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
