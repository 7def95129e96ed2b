// The deployment files hold what the README promises. Containers cannot be built here (no engine), so these
// checks read the files; the systemd unit is verified by systemd itself where systemd-analyze exists.
import assert from "node:assert/strict";

const DEPLOY = new URL("../deploy/", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, DEPLOY));

function hasCommand(name: string): boolean {
  try {
    return new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

Deno.test("[deploy files] the systemd unit is hardened, reads secrets from a file and stops with SIGTERM", () => {
  const unit = read("systemd/okta-8x8-telephony-hook.service");
  for (
    const line of [
      "DynamicUser=yes",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "PrivateTmp=yes",
      "EnvironmentFile=/etc/okta-8x8-telephony-hook/env",
      "Restart=on-failure",
      "KillSignal=SIGTERM",
      "LimitNOFILE=65536",
    ]
  ) assert.match(unit, new RegExp(`^${line}$`, "m"), line);
});

Deno.test({
  name: "[deploy files] systemd-analyze finds nothing wrong with the unit",
  ignore: !hasCommand("systemd-analyze"),
  async fn() {
    // The real binary is not installed here, so point ExecStart at an executable that exists.
    const folder = await Deno.makeTempDir();
    try {
      const unit = read("systemd/okta-8x8-telephony-hook.service").replace(
        /^ExecStart=.*$/m,
        "ExecStart=/bin/true",
      );
      await Deno.writeTextFile(`${folder}/okta-8x8-telephony-hook.service`, unit);
      const result = await new Deno.Command("systemd-analyze", {
        args: ["verify", `${folder}/okta-8x8-telephony-hook.service`],
      }).output();
      const complaints = new TextDecoder().decode(result.stderr).trim();
      assert.equal(result.code, 0, complaints);
      assert.equal(complaints, "");
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
});

Deno.test("[deploy files] the Dockerfile is multi-stage, runs as non-root with a health check, copies no .env", () => {
  const dockerfile = read("docker/Dockerfile").replace(/^#.*\n/gm, "");
  assert.equal(dockerfile.match(/^FROM /gm)?.length, 2);
  assert.match(dockerfile, /^USER nonroot$/m);
  assert.match(dockerfile, /^HEALTHCHECK [^\n]*\\\n\s+CMD \[.*"--healthcheck"\]$/m);
  const copies = dockerfile.match(/^COPY .*$/gm) ?? [];
  assert.deepEqual(copies.filter((line) => !line.includes("--from=")), [
    "COPY deno.json deno.lock ./",
    "COPY src ./src",
  ]);
  assert.doesNotMatch(dockerfile, /\.env|ARG .*SECRET|ENV .*(SECRET|KEY)/);
});

Deno.test("[deploy files] the compose files run the service beside Jaeger with OTLP on 4318 and the UI on 16686", () => {
  const jaeger = read("jaeger/compose.yaml");
  assert.match(jaeger, /image: jaegertracing\/all-in-one:\d+\.\d+\.\d+/);
  assert.match(jaeger, /"127\.0\.0\.1:4318:4318"/);
  assert.match(jaeger, /"127\.0\.0\.1:16686:16686"/);
  const service = read("docker/compose.yaml");
  assert.match(service, /- \.\.\/jaeger\/compose\.yaml/);
  assert.match(service, /OTEL_EXPORTER_OTLP_ENDPOINT: http:\/\/jaeger:4318/);
  assert.match(service, /dockerfile: deploy\/docker\/Dockerfile/);
});

Deno.test("[deploy files] every deployment guide is linked from the README", () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  for (
    const path of [
      "deploy/README.md",
      "deploy/deno-deploy/README.md",
      "deploy/systemd/README.md",
      "deploy/docker/Dockerfile",
      "deploy/jaeger/compose.yaml",
    ]
  ) assert.ok(readme.includes(`](${path}`), `README links ${path}`);
});
