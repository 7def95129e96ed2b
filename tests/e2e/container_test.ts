// The Dockerfile's build stage, run as far as this machine allows: no container engine here, so its COPY lines
// are done by hand into a copy of the build context (with the .dockerignore applied) and its RUN lines run in a
// shell there, with Deno's CLI standing in for the runtime base `deno compile` would download.
import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };

const REPO = new URL("../../", import.meta.url).pathname;
const DOCKERFILE = Deno.readTextFileSync(`${REPO}deploy/docker/Dockerfile`);

Deno.test("[container] the build stage's commands build the binary from dependencies, then sources, in a copy of the context", async () => {
  const build = DOCKERFILE.split(/^FROM /m)[1]!; // the first stage
  const steps = build.split("\n").filter((line) => /^(COPY|RUN|WORKDIR) /.test(line));
  assert.deepEqual(steps.map((line) => line.split(" ")[0]), ["WORKDIR", "COPY", "RUN", "COPY", "RUN"]);
  assert.match(steps[2]!, /^RUN deno install --frozen$/, "dependencies get their own layer, before sources");

  const context = await Deno.makeTempDir({ prefix: "docker-context-" });
  try {
    for (const step of steps) {
      const [instruction, ...words] = step.split(" ");
      if (instruction === "COPY") {
        const destination = words.at(-1)!;
        for (const source of words.slice(0, -1)) {
          assert.ok(allowedByDockerignore(source), `${source} is in the build context`);
          await copy(
            `${REPO}${source}`,
            `${context}/${destination.endsWith("/") || destination === "./" ? source : destination}`,
          );
        }
      } else if (instruction === "RUN") {
        const command = words.join(" ");
        const run = await new Deno.Command("sh", {
          args: ["-c", command],
          cwd: context,
          env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(run.code, 0, `${command}\n${new TextDecoder().decode(run.stderr)}`);
      }
    }
    // What the runtime stage copies out of the build stage exists.
    for (const line of DOCKERFILE.match(/^COPY --from=build .*$/gm)!) {
      const source = line.split(" ").at(-2)!.replace(/^\/app\//, "");
      assert.ok(await exists(`${context}/${source}`), `${source} was built`);
    }
  } finally {
    await Deno.remove(context, { recursive: true });
  }
});

Deno.test("[container] the image carries OCI labels, its version is deno.json's, and it runs as nonroot", () => {
  const runtime = DOCKERFILE.split(/^FROM /m)[2]!;
  assert.match(runtime, new RegExp(`^ARG VERSION=${denoJson.version.replaceAll(".", "\\.")}$`, "m"));
  for (const label of ["title", "description", "version", "licenses"]) {
    assert.match(runtime, new RegExp(`org\\.opencontainers\\.image\\.${label}=`), label);
  }
  assert.match(runtime, /^USER nonroot$/m);
  assert.match(runtime, /--chown=nonroot:nonroot \/app\/state \/var\/lib\/okta-8x8-telephony-hook$/m);
  const permissions = denoJson.permissions.service;
  assert.ok(
    permissions.write.includes("/var/lib/okta-8x8-telephony-hook"),
    "the binary may write its state folder",
  );
});

Deno.test("[container] the image is sized for 256 MiB: the stores' budget and V8's heap, with flags V8 accepts", async () => {
  const runtime = DOCKERFILE.split(/^FROM /m)[2]!;
  const env = Object.fromEntries(
    [...runtime.matchAll(/^ENV (.+)$/gm)].flatMap(([, pairs]) =>
      pairs!.split(" ").map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)])
    ),
  );
  assert.equal(env.STORE_MEMORY_MB, "48");
  assert.match(env.DENO_V8_FLAGS ?? "", /--max-old-space-size=\d+/);
  // An unknown V8 flag would stop the binary at start: the runtime reads DENO_V8_FLAGS as `deno run` does.
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "console.log(Deno.memoryUsage().rss > 0)"],
    env: { DENO_V8_FLAGS: env.DENO_V8_FLAGS! },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(run.stderr), "");
  assert.equal(new TextDecoder().decode(run.stdout).trim(), "true");
});

// The .dockerignore is an allow list (`**` then `!` lines): a source is in the context when a `!` line names it.
function allowedByDockerignore(source: string): boolean {
  const rules = Deno.readTextFileSync(`${REPO}deploy/docker/Dockerfile.dockerignore`).split("\n")
    .filter((line) => line.startsWith("!")).map((line) => line.slice(1).replace(/\/\*\*$/, ""));
  return rules.includes(source.replace(/\/$/, ""));
}

async function copy(from: string, to: string): Promise<void> {
  const output = await new Deno.Command("cp", { args: ["-r", from, to] }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
