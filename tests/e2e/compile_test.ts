// `deno task compile` as on-prem users run it. Building a runnable binary needs Deno's runtime base (denort),
// which cannot be downloaded on our machines: the smoke test then skips, loudly, unless DENORT_BIN names one.
import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { startFake8x8 } from "../fakes/fake_8x8.ts";
import { PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { liveEnvironment, runDeno, startProcess } from "../support/subprocess.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const START_PERMISSIONS = permissionFlags(denoJson.tasks.start);
const DENORT_BIN = Deno.env.get("DENORT_BIN");
const HAS_DENORT = DENORT_BIN !== undefined && exists(DENORT_BIN);

if (!HAS_DENORT) {
  console.error(
    "\n!!! SKIPPING the compiled-binary smoke test: no Deno runtime base (denort) is available here.\n" +
      "!!! `deno compile` downloads it, and this machine cannot. Set DENORT_BIN=/path/to/denort to run it.\n",
  );
}

function permissionFlags(task: string): string[] {
  return task.split(" ").filter((word) => /^(--(allow|deny)-|-P=)/.test(word));
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The compile task's arguments with the output moved to `output`. */
function compileArgs(task: string, output: string): string[] {
  const words = task.split(" ").slice(1); // drop "deno"
  words[words.indexOf("--output") + 1] = output;
  return words.map((word) => word === "src/main.ts" ? `${REPO}src/main.ts` : word);
}

Deno.test("[compile] every compile task bakes in exactly the start task's permissions, and never a .env", () => {
  const commands = [denoJson.tasks.compile, ...denoJson.tasks["compile:all"].split(" && ")];
  assert.equal(commands.length, 6);
  for (const command of commands) {
    assert.deepEqual(permissionFlags(command), START_PERMISSIONS, command);
    assert.doesNotMatch(
      command,
      /--env-file|--include|--allow-all|-A\b|--allow-write|--allow-run|--allow-read/,
    );
    assert.match(command, /--output dist\/okta-8x8-telephony-hook/);
  }
  const targets = commands.slice(1).map((command) => /--target (\S+)/.exec(command)?.[1]);
  assert.deepEqual(targets, [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
  ]);
});

Deno.test("[compile] the binary embeds no secret from the environment or a .env file", async () => {
  // What `deno compile` embeds does not depend on the runtime base, so without denort the Deno CLI stands in for
  // it: the output is not a runnable service then, but it holds exactly the bytes compile would have added.
  const base = HAS_DENORT ? DENORT_BIN! : Deno.execPath();
  const folder = await Deno.makeTempDir({ prefix: "compile-secrets-" });
  try {
    const markers = {
      OKTA_AUTH_SECRET: "MARKER-okta-secret-4f1c9e",
      EIGHTBYEIGHT_API_KEY: "MARKER-8x8-key-7b2d0a",
      OTEL_EXPORTER_OTLP_HEADERS: "authorization=MARKER-otlp-3e8f51",
    };
    await Deno.writeTextFile(`${folder}/.env`, "OKTA_AUTH_SECRET=MARKER-dotenv-secret-91ac2f\n");
    const output = `${folder}/hook`;
    const child = runDeno(
      [...compileArgs(denoJson.tasks.compile, output), "--config", `${REPO}deno.json`],
      { ...markers, DENORT_BIN: base },
      folder,
    );
    const result = await child.output();
    assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
    const binary = await Deno.readFile(output);
    const text = new TextDecoder("latin1").decode(binary);
    assert.ok(text.includes("okta-8x8-telephony-hook"), "the service's code is in the output");
    for (const marker of [...Object.values(markers), "MARKER-dotenv-secret-91ac2f", "MARKER-"]) {
      assert.ok(!text.includes(marker), `the binary holds ${marker}`);
    }
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test({
  name: "[compile] smoke test: the compiled binary serves /healthz and the hook, and prints --version",
  ignore: !HAS_DENORT,
  async fn() {
    const folder = await Deno.makeTempDir({ prefix: "compile-smoke-" });
    const fake = startFake8x8();
    try {
      const binary = `${folder}/okta-8x8-telephony-hook`;
      const built = await runDeno(
        compileArgs(denoJson.tasks.compile, binary),
        { DENORT_BIN: DENORT_BIN! },
        REPO,
      )
        .output();
      assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));

      const version = await new Deno.Command(binary, { args: ["--version"], clearEnv: true }).output();
      assert.equal(new TextDecoder().decode(version.stdout).trim(), denoJson.version);

      const service = await startProcess(binary, [], {
        ...liveEnvironment(fake, "smoke-okta-secret-0123"),
        PORT: "0",
      });
      try {
        const health = await (await fetch(`${service.url}/healthz`)).json();
        assert.deepEqual(health, { status: "ok", version: denoJson.version, mode: "8x8" });
        const answer = await (await fetch(`${service.url}/telephony-hook`, {
          method: "POST",
          headers: { authorization: "smoke-okta-secret-0123", "content-type": "application/json" },
          body: PREVIEW_SAMPLE_TEXT,
        })).json();
        assert.equal(answer.commands[0].value[0].status, "SUCCESSFUL");
        assert.equal(fake.requests.length, 1);
      } finally {
        assert.equal((await service.stop()).code, 0);
      }
    } finally {
      await fake.close();
      await Deno.remove(folder, { recursive: true });
    }
  },
});

Deno.test("[compile] the README describes the permission set deno.json defines, and every task uses it", () => {
  const set = denoJson.permissions.service;
  const readme = Deno.readTextFileSync(`${REPO}README.md`).replace(/\s+/g, " ");
  const described =
    /The binary carries its permissions, the `service` set in `deno\.json`[^*]*\*\*([^*]+)\*\*/
      .exec(readme)?.[1];
  assert.ok(described !== undefined, "the README describes the set");
  assert.equal(set.net, true);
  assert.match(described, /^network; /);
  assert.equal(set.env, true);
  assert.match(described, /environment variables/);
  assert.deepEqual(set.read, set.write, "what may be written may be read, and no more");
  for (const path of set.read) {
    assert.ok(described.includes(`\`${path.replace(/^\.\//, "")}/\``), `the README names ${path}`);
  }
  assert.deepEqual(Object.keys(set).sort(), ["env", "net", "read", "write"], "no run, ffi or sys");
  for (const task of ["start", "compile"] as const) assert.match(denoJson.tasks[task], / -P=service /);
});
