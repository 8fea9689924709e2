/**
 * The service's log, kept for a test to read: the service's own pino logger (its redaction and
 * scrubbing included) on an in-memory stream, behind a recorder of what callers hand it, so a
 * test can tell what the nets inside the logger caught from what was never passed to it.
 */
import type { DestinationStream } from "pino";
import { createLogger, type Logger, type LogLevel } from "../../src/observability/log.ts";

export interface LogLine {
  level: string;
  message: string;
  requestId?: string;
  [field: string]: unknown;
}

export interface CapturedLog {
  /** The logger to give the service (createService's `logger` override). */
  logger: Logger;
  /** Everything logged so far, as written. */
  text(): string;
  /** Everything handed to the logger so far, before its redaction and scrubbing. */
  handed(): string;
  /** What was written, a parsed object a line. */
  lines(): LogLine[];
}

export function captureLog(level: LogLevel): CapturedLog {
  let written = "";
  let handed = "";
  const destination: DestinationStream = {
    write: (line: string) => {
      written += line;
    },
  };
  const pinoLogger = createLogger({ level, destination });
  const logger = Object.fromEntries(
    (["fatal", "error", "warn", "info", "debug"] as const).map((method) => [
      method,
      (message: string, fields?: Record<string, unknown>) => {
        handed += `${JSON.stringify({ method, message, fields })}\n`;
        pinoLogger[method](message, fields as never);
      },
    ]),
  ) as Logger;
  return {
    logger,
    text: () => written,
    handed: () => handed,
    lines: () =>
      written
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine),
  };
}
