// The systemd unit's SystemCallFilter, checked against what the service really calls. systemd kills a service
// that makes a call outside its filter, and neither `systemd-analyze verify` nor `security` can see that: so the
// service runs under `strace -f` with the binary's permissions through start-up, a hook, a delivery receipt and
// a graceful stop, and every call it made must be in the filter as `systemd-analyze syscall-filter` expands it.
import assert from "node:assert/strict";
import { startFake8x8 } from "../fakes/fake_8x8.ts";
import { postReceipt, receiptFor } from "../fakes/fake_8x8_receipts.ts";
import { PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { liveEnvironment, START_FLAGS, startProcess } from "../support/subprocess.ts";

const UNIT = new URL("../../deploy/systemd/okta-8x8-telephony-hook.service", import.meta.url);
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const STATE = new URL("../../.state", import.meta.url).pathname;
const SECRET = "syscall-okta-secret-0123";
const DLR_AUTH = "Bearer syscall-receipts-0123456789";

const missing = ["strace", "systemd-analyze"].filter((command) => !hasCommand(command));
if (missing.length > 0) {
  console.error(
    `\n!!! SKIPPING the systemd syscall-filter test: ${missing.join(" and ")} missing on this machine.\n` +
      "!!! .ci/run installs strace from Debian's packages; systemd-analyze comes with systemd.\n",
  );
}

Deno.test({
  name:
    "[systemd] every system call the service makes, start to graceful stop, is allowed by the unit's filter",
  ignore: missing.length > 0,
  async fn() {
    const unit = Deno.readTextFileSync(UNIT);
    const filter = unit.match(/^SystemCallFilter=.*$/gm)?.map((line) =>
      line.slice("SystemCallFilter=".length)
    );
    assert.ok(filter !== undefined && filter.length > 0, "the unit has a SystemCallFilter");
    assert.ok(filter.every((entry) => !entry.startsWith("~")), "an allow list, as this test reads it");
    const groups = await syscallGroups();
    const allowed = expand(filter.flatMap((entry) => entry.split(/\s+/)).filter(Boolean), groups);

    const calls = await callsThroughALifetime();
    assert.ok(calls.has("execve") && calls.has("accept4") && calls.has("exit_group"), [...calls].join(" "));
    const outside = [...calls].filter((call) => !allowed.has(call)).sort();
    assert.deepEqual(
      outside,
      [],
      `calls outside SystemCallFilter=${filter.join(" ")}: systemd would kill the service`,
    );

    // The finding behind this test: `@system-service` alone misses what V8 calls at start.
    const systemServiceOnly = [...calls].filter((call) => !expand(["@system-service"], groups).has(call));
    console.error(`calls outside @system-service alone: ${systemServiceOnly.join(", ") || "none"}`);
  },
});

// Runs the service as the compiled binary would run (its permission set, no .env), with its stores in a KV file,
// under strace.
async function callsThroughALifetime(): Promise<Set<string>> {
  const folder = await Deno.makeTempDir({ prefix: "strace-" });
  const trace = `${folder}/trace`;
  // A KV file where the permission set allows one, as several processes on one host would share it.
  await Deno.mkdir(STATE, { recursive: true });
  const kvFile = `${STATE}/strace-${crypto.randomUUID()}.sqlite3`;
  const fake = startFake8x8();
  const flags = START_FLAGS.filter((flag) => flag !== "--env-file");
  const service = await startProcess("strace", [
    "-f",
    "-qq",
    "-o",
    trace,
    Deno.execPath(),
    "run",
    ...flags,
    MAIN,
  ], {
    ...liveEnvironment(fake, SECRET),
    PORT: "0",
    EIGHTBYEIGHT_DLR_AUTH: DLR_AUTH,
    STATE_STORE: "kv",
    KV_URL: kvFile,
  });
  try {
    const answer = await fetch(`${service.url}/telephony-hook`, {
      method: "POST",
      headers: { authorization: SECRET, "content-type": "application/json" },
      body: PREVIEW_SAMPLE_TEXT,
    });
    assert.equal((await answer.json()).commands[0].value[0].status, "SUCCESSFUL");
    const target = { url: `${service.url}/8x8/delivery-receipts`, authorization: DLR_AUTH };
    assert.deepEqual(await postReceipt(target, receiptFor(fake.sent[0]!, "delivered"), []), [200]);
    // SIGTERM to the service itself: strace would only detach on one of its own.
    const tracee = await childOf(service.pid);
    Deno.kill(tracee, "SIGTERM");
    const { code } = await service.stop();
    assert.equal(code, 0, "a graceful stop");
    const text = await Deno.readTextFile(trace);
    return new Set(
      [...text.matchAll(/^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)/gm)].map((m) => m[1]!),
    );
  } finally {
    await fake.close();
    await Deno.remove(folder, { recursive: true });
    for (const suffix of ["", "-wal", "-shm"]) await Deno.remove(kvFile + suffix).catch(() => {});
  }
}

async function childOf(pid: number): Promise<number> {
  const output = await new Deno.Command("pgrep", { args: ["-P", String(pid)] }).output();
  const child = Number(new TextDecoder().decode(output.stdout).trim().split("\n")[0]);
  assert.ok(child > 0, `strace (${pid}) has a child`);
  return child;
}

// `systemd-analyze syscall-filter` lists every group: a line `@name`, then its members indented (calls, or other
// groups), with `#` comments.
async function syscallGroups(): Promise<Map<string, string[]>> {
  const output = await new Deno.Command("systemd-analyze", { args: ["syscall-filter", "--no-pager"] })
    .output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const groups = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    if (/^@\S+$/.test(line)) groups.set(line, current = []);
    else if (/^\s+[@a-z0-9_-]+$/.test(line) && current !== undefined) current.push(line.trim());
  }
  return groups;
}

function expand(entries: string[], groups: Map<string, string[]>, seen = new Set<string>()): Set<string> {
  const calls = new Set<string>();
  for (const entry of entries) {
    if (!entry.startsWith("@")) {
      calls.add(entry);
      continue;
    }
    if (seen.has(entry)) continue;
    seen.add(entry);
    const members = groups.get(entry);
    assert.ok(members !== undefined, `systemd knows the group ${entry}`);
    for (const call of expand(members, groups, seen)) calls.add(call);
  }
  return calls;
}

function hasCommand(name: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}
