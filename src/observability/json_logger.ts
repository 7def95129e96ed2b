/** Values a log line may carry. Callers pass only masked or non-personal data. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** Structured logging, one JSON object per line. */
export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Log levels, most severe first. */
export type Level = "error" | "warn" | "info";

/** The trace a line was written under, as OpenTelemetry names it for logs outside OTLP. */
export interface TraceContext {
  readonly trace_id: string;
  readonly span_id: string;
}

/** Settings for `createJsonLogger`. */
export interface JsonLoggerOptions {
  /** Receives each finished line with its level; defaults to the console method of that level. */
  readonly write?: (line: string, level: Level) => void;
  readonly now?: () => Date;
  /** The least severe level written; default `info` (everything). */
  readonly level?: Level;
  /** The active trace, if any: its ids go on every line written under it. */
  readonly traceContext?: () => TraceContext | undefined;
}

const SEVERITY: Readonly<Record<Level, number>> = { error: 0, warn: 1, info: 2 };
const ignore = () => {};

/**
 * Writes `{"time","level","event","trace_id","span_id",...fields}` lines, the shape log shippers parse without
 * configuration; lines below the configured level cost nothing.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const write = options.write ?? writeToConsole;
  const now = options.now ?? (() => new Date());
  const least = SEVERITY[options.level ?? "info"];
  const traceContext = options.traceContext ?? (() => undefined);
  const log = (level: Level) =>
    SEVERITY[level] > least ? ignore : (event: string, fields: LogFields = {}) =>
      write(
        JSON.stringify({ time: now().toISOString(), level, event, ...traceContext(), ...fields }),
        level,
      );
  return { info: log("info"), warn: log("warn"), error: log("error") };
}

/**
 * The console method of each level. Deno's runtime OpenTelemetry (and so Deno Deploy) captures the console
 * API, with the level as the record's severity and the active span as its trace context.
 */
function writeToConsole(line: string, level: Level): void {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** Lines gathered for one write. */
export interface BufferedOutput {
  /** Queues a line; never blocks and never throws. */
  write(line: string): void;
  /** Starts writing what is queued now, without waiting for others to share the write. */
  flush(): void;
  /** Writes what is queued, waiting at most `timeoutMs`: before a graceful exit. */
  drain(timeoutMs: number): Promise<void>;
  /** Lines dropped because the reader fell behind or went away. */
  readonly dropped: number;
}

/** Where the lines go: standard output, or a test's recorder. */
export interface LineSink {
  write(bytes: Uint8Array): Promise<number>;
}

/** Settings for `createBufferedOutput`. */
export interface BufferedOutputOptions {
  /** How long a line may wait for others to share its write. Default 5 ms. */
  readonly delayMs?: number;
  /** A batch this large is written at once. Default 64 KiB. */
  readonly batchBytes?: number;
  /** Past this many bytes waiting for a slow reader, new lines are dropped and counted. Default 1 MiB. */
  readonly maxPendingBytes?: number;
  readonly now?: () => Date;
}

/**
 * Gathers log lines and writes them in one asynchronous write a few milliseconds later, off the request path.
 * A reader that stalls (a stuck log shipper, a full pipe) can never block the event loop: lines wait up to
 * `maxPendingBytes`, then new ones are dropped, and a `log_lines_dropped` line with the count is written when
 * the reader catches up. A reader that goes away (a closed pipe) ends the writing, never the process.
 */
export function createBufferedOutput(sink: LineSink, options: BufferedOutputOptions = {}): BufferedOutput {
  const encoder = new TextEncoder();
  const delayMs = options.delayMs ?? 5;
  const batchBytes = options.batchBytes ?? 65_536;
  const maxPendingBytes = options.maxPendingBytes ?? 1_048_576;
  const now = options.now ?? (() => new Date());
  let lines: string[] = [];
  let queuedBytes = 0;
  let inFlightBytes = 0;
  let dropped = 0;
  let droppedUnreported = 0;
  let closed = false;
  let timerArmed = false;
  let writing: Promise<void> | undefined;

  async function writeAll(bytes: Uint8Array): Promise<void> {
    for (let written = 0; written < bytes.length;) written += await sink.write(bytes.subarray(written));
  }

  async function writeQueued(): Promise<void> {
    try {
      while (lines.length > 0 && !closed) {
        const batch = lines;
        lines = [];
        inFlightBytes = queuedBytes;
        queuedBytes = 0;
        if (droppedUnreported > 0) {
          const report = {
            time: now().toISOString(),
            level: "warn",
            event: "log_lines_dropped",
            count: droppedUnreported,
          };
          batch.push(JSON.stringify(report)); // after the lines that were queued before the drops
          droppedUnreported = 0;
        }
        try {
          await writeAll(encoder.encode(`${batch.join("\n")}\n`));
        } catch {
          // The reader is gone (a broken pipe): nothing more can be written, and that must not end the process.
          closed = true;
          dropped += batch.length + lines.length;
          lines = [];
          queuedBytes = 0;
        }
        inFlightBytes = 0;
      }
    } finally {
      // In the same step that found the queue empty: a line written from now on arms its own timer. (Cleared a
      // microtask later, a line written in between waited for the next line to carry it out.)
      writing = undefined;
    }
  }

  function kick(): void {
    timerArmed = false;
    if (writing !== undefined || lines.length === 0 || closed) return;
    writing = writeQueued();
  }

  return {
    write(line) {
      if (closed || queuedBytes + inFlightBytes + line.length > maxPendingBytes) {
        dropped++;
        if (!closed) droppedUnreported++;
        return;
      }
      lines.push(line);
      queuedBytes += line.length + 1;
      if (queuedBytes >= batchBytes) kick();
      else if (writing === undefined && !timerArmed) {
        // The runtime's web timer, not `setTimeout` (Deno's is the Node-compatible one, about 4 ms to load on
        // first use). It cannot be cancelled: one that fires after an early write only writes the next batch early.
        timerArmed = true;
        AbortSignal.timeout(delayMs).addEventListener("abort", kick, { once: true });
      }
    },
    flush: kick,
    async drain(timeoutMs) {
      kick();
      let expired: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => (expired = setTimeout(resolve, timeoutMs)));
      await Promise.race([
        (async () => {
          while (writing !== undefined) await writing;
        })(),
        timeout,
      ]);
      clearTimeout(expired);
    },
    get dropped() {
      return dropped;
    },
  };
}
