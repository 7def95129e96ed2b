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
