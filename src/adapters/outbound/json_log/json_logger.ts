/** Values a log line may carry. Callers pass only masked or non-personal data. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** Structured logging, one JSON object per line. */
export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Settings for `createJsonLogger`. */
export interface JsonLoggerOptions {
  /** Receives each finished line; defaults to standard output. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

/** Writes `{"time","level","event",...fields}` lines, the shape log shippers parse without configuration. */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());
  const log = (level: string) => (event: string, fields: LogFields = {}) =>
    write(JSON.stringify({ time: now().toISOString(), level, event, ...fields }));
  return { info: log("info"), warn: log("warn"), error: log("error") };
}

/** Lines gathered for one write. */
export interface BufferedOutput {
  write(line: string): void;
  /** Writes what is gathered now; call before exiting. */
  flush(): void;
}

/**
 * Gathers log lines and writes them in one system call a few milliseconds later (or at 64 KiB), instead of one
 * synchronous write per line on the request path. Lines still gathered when the process is killed outright are
 * lost; a graceful stop flushes them.
 */
export function createBufferedOutput(
  sink: { writeSync(bytes: Uint8Array): number },
  options: { delayMs?: number } = {},
): BufferedOutput {
  const encoder = new TextEncoder();
  const delayMs = options.delayMs ?? 5;
  let lines: string[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (lines.length === 0) return;
    const bytes = encoder.encode(`${lines.join("\n")}\n`);
    lines = [];
    size = 0;
    for (let written = 0; written < bytes.length;) written += sink.writeSync(bytes.subarray(written));
  };
  return {
    write(line) {
      lines.push(line);
      size += line.length;
      if (size >= 65_536) flush();
      else timer ??= setTimeout(flush, delayMs);
    },
    flush,
  };
}
