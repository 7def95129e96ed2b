// The command line as a user meets it first: --help, --version, a typo, and `.env.example` copied as it is.
import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { runMain, START_FLAGS, startProcess } from "../support/subprocess.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const EXAMPLE = new URL("../../.env.example", import.meta.url).pathname;
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("[cli] --help and --version answer and exit; an unknown option is refused, and nothing listens", async () => {
  const help = await runMain({}, ["--help"]).output();
  assert.equal(help.code, 0);
  assert.match(decode(help.stdout), /^Usage: okta-8x8-telephony-hook/m);
  assert.match(decode(help.stdout), /\.env\.example/);
  const version = await runMain({}, ["--version"]).output();
  assert.equal(version.code, 0);
  assert.equal(decode(version.stdout).trim(), denoJson.version);
  const typo = await runMain({ PORT: "0" }, ["--prot", "8080"]).output();
  assert.equal(typo.code, 2);
  assert.match(decode(typo.stderr), /Unknown option: --prot 8080/);
  assert.doesNotMatch(decode(typo.stdout), /"event":"listening"/);
});

Deno.test("[cli] `cp .env.example .env && deno task start` starts without a single warning", async () => {
  const folder = await Deno.makeTempDir({ prefix: "env-example-" });
  try {
    await Deno.copyFile(EXAMPLE, `${folder}/.env`);
    // The start task's flags, reading that copy as `--env-file` reads `.env` in the working folder.
    const flags = START_FLAGS.map((flag) => flag === "--env-file" ? `--env-file=${folder}/.env` : flag);
    assert.ok(flags.includes(`--env-file=${folder}/.env`), "the start task reads .env");
    const service = await startProcess(Deno.execPath(), ["run", ...flags, MAIN], { PORT: "0" });
    const { code, stdout, stderr } = await service.stop();
    assert.equal(code, 0);
    const output = `${stdout}\n${stderr}`;
    assert.doesNotMatch(output, /warn|not recognized|experimental|deprecated/i, output);
    assert.match(stdout, /"event":"listening".*"mode":"sandbox"/);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
