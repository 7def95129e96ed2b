// Starts the service the way `deno task start` does, as a separate process, and reads what it prints.
import denoJson from "../../deno.json" with { type: "json" };

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
/** The flags of the start task, so a test runs with exactly the permissions users get. */
export const START_FLAGS = denoJson.tasks.start.split(" ").slice(2, -1);
// Any folder without a `.env`, so a developer's own settings never reach the test.
const NO_ENV_FILE_HERE = new URL(".", import.meta.url).pathname;
// What Deno itself needs from the environment to find its cache; nothing of ours leaks in.
const DENO_VARIABLES = ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME", "NPM_CONFIG_REGISTRY"];

/** A running service process. */
export interface ServiceProcess {
  /** The origin it listens on, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly hostname: string;
  readonly pid: number;
  /** Resolves with the first complete line of standard error that matches. */
  stderrLine(match: (line: string) => boolean): Promise<string | undefined>;
  /** Resolves with the first complete line of standard output that matches. */
  stdoutLine(match: (line: string) => boolean): Promise<string | undefined>;
  /** Stops it with SIGTERM and returns its exit code and everything it printed. */
  stop(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Runs a program with exactly `env` plus Deno's own variables, by default from a folder with no `.env`. */
export function spawn(
  executable: string,
  args: string[],
  env: Record<string, string>,
  cwd = NO_ENV_FILE_HERE,
): Deno.ChildProcess {
  const inherited = Object.fromEntries(
    DENO_VARIABLES.flatMap((name) => Deno.env.get(name) === undefined ? [] : [[name, Deno.env.get(name)!]]),
  );
  return new Deno.Command(executable, {
    args,
    cwd,
    clearEnv: true,
    env: { ...inherited, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs `deno <args>`. */
export function runDeno(args: string[], env: Record<string, string>, cwd?: string): Deno.ChildProcess {
  return spawn(Deno.execPath(), args, env, cwd);
}

/** Runs `main.ts` with the start task's flags. */
export function runMain(env: Record<string, string>, args: string[] = []): Deno.ChildProcess {
  return runDeno(["run", ...START_FLAGS, MAIN, ...args], env);
}

/** The settings of a service on loopback that sends through the 8x8 at `eightByEight` (a fake one). */
export function liveEnvironment(
  eightByEight: { url: string; apiKey: string; subaccountId: string },
  oktaSecret: string,
): Record<string, string> {
  return {
    HOST: "127.0.0.1",
    OKTA_AUTH_SECRET: oktaSecret,
    EIGHTBYEIGHT_API_KEY: eightByEight.apiKey,
    EIGHTBYEIGHT_SUBACCOUNT_ID: eightByEight.subaccountId,
    EIGHTBYEIGHT_SMS_BASE_URL: eightByEight.url,
  };
}

/** Starts the service like `deno task start` (on a free port unless `env` says otherwise) and waits for it. */
export function startMain(
  env: Record<string, string>,
  denoFlags: string[] = START_FLAGS,
  options: OutputOptions = {},
): Promise<ServiceProcess> {
  return startProcess(Deno.execPath(), ["run", ...denoFlags, MAIN], { PORT: "0", ...env }, options);
}

/** What to keep of a process's standard output. */
export interface OutputOptions {
  /**
   * False: standard output is read but dropped while nobody waits for a line, so `stop` returns little of it. For
   * load runs, where decoding every log line would take CPU from the process being measured. Default true.
   */
  readonly keepStdout?: boolean;
}

/** Starts any build of the service and waits for its `listening` log line. */
export async function startProcess(
  executable: string,
  args: string[],
  env: Record<string, string>,
  options: OutputOptions = {},
): Promise<ServiceProcess> {
  const child = spawn(executable, args, env);
  const stdout = collect(child.stdout, options.keepStdout ?? true);
  const stderr = collect(child.stderr);
  const listening = await stdout.waitFor((line) => line.includes(`"event":"listening"`));
  if (listening === undefined) {
    const status = await child.status;
    throw new Error(`service exited with ${status.code} before listening:\n${await stderr.all}`);
  }
  const url: string = JSON.parse(listening).url;
  return {
    url,
    hostname: new URL(url).hostname,
    pid: child.pid,
    stderrLine: stderr.waitFor,
    stdoutLine: stdout.waitFor,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // It has exited already: its status and output say how.
      }
      const { code } = await child.status;
      return { code, stdout: await stdout.all, stderr: await stderr.all };
    },
  };
}

/**
 * Reads a stream to its end while letting a caller wait for the first line that matches. Unless `keep`, chunks
 * that arrive while nobody waits are dropped undecoded.
 */
function collect(stream: ReadableStream<Uint8Array>, keep = true) {
  let text = "";
  const decoder = new TextDecoder();
  const waiting: { match: (line: string) => boolean; resolve: (line: string | undefined) => void }[] = [];
  const all = (async () => {
    for await (const bytes of stream) {
      if (!keep && waiting.length === 0) continue;
      text += decoder.decode(bytes, { stream: true });
      for (const waiter of [...waiting]) {
        const line = completeLines(text).find(waiter.match);
        if (line !== undefined) {
          waiting.splice(waiting.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
    text += decoder.decode(); // a character split across the last chunk
    waiting.splice(0).forEach((waiter) => waiter.resolve(undefined));
    return text;
  })();
  return {
    all,
    waitFor: (match: (line: string) => boolean) =>
      new Promise<string | undefined>((resolve) => {
        const line = completeLines(text).find(match);
        if (line !== undefined) resolve(line);
        else waiting.push({ match, resolve });
      }),
  };
}

// The last piece may be a line still being written.
function completeLines(text: string): string[] {
  return text.split("\n").slice(0, -1);
}
