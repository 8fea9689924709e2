import type { LogLevel } from "./config.ts";

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

/**
 * JSON lines on stderr. Callers pass only fields they chose (kinds, names,
 * durations): never a request, an error object or a token, so nothing
 * secret can reach a log line by accident.
 */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const at =
    (name: Exclude<LogLevel, "silent" | "fatal" | "trace">) =>
    (message: string, fields: LogFields = {}) => {
      if (RANK[name] >= RANK[level]) {
        write(
          `${JSON.stringify({ level: name, time: new Date().toISOString(), message, ...fields })}\n`,
        );
      }
    };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}

export const silentLogger: Logger = createLogger("silent");
