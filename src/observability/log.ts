import { createRequire } from "node:module";
import { type DestinationStream, pino } from "pino";
import { CENSOR, REDACT_PATHS, scrub } from "./redaction.ts";
import { currentRequestId } from "./request-context.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Only flat values: a request, a header map or an error object cannot be passed. */
export type LogFields = Record<string, string | number | boolean | undefined>;

type Method = "fatal" | "error" | "warn" | "info" | "debug";

export type Logger = Record<Method, (message: string, fields?: LogFields) => void>;

export interface LoggerOptions {
  level: LogLevel;
  /** Where the lines go (tests capture them here); stderr when omitted. */
  destination?: DestinationStream | undefined;
  /** Human-readable lines (pino-pretty, a dev dependency) instead of JSON. */
  pretty?: boolean | undefined;
}

/**
 * pino-pretty's formatter, run in line on each JSON line (its stream form formats
 * asynchronously, so the last lines before an exit could be lost). Undefined when
 * pino-pretty is not installed (a production image): JSON then.
 */
function prettyStream(
  destination: DestinationStream,
  colorize: boolean,
): DestinationStream | undefined {
  let format: (line: string) => string;
  try {
    const { prettyFactory } = createRequire(import.meta.url)("pino-pretty") as {
      prettyFactory: (options: Record<string, unknown>) => (line: string) => string;
    };
    format = prettyFactory({
      colorize,
      messageKey: "message",
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
    });
  } catch {
    return undefined;
  }
  return { write: (line: string) => destination.write(format(line)) };
}

function scrubbed(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = typeof value === "string" ? scrub(value) : value;
  }
  return out;
}

/**
 * pino, one JSON line per event on stderr (stdout carries the embedded
 * default's banner). Callers pass only fields they chose (kinds, names,
 * durations, labels): never a request, a header, a body, an error object or a
 * token. Behind that rule are two nets: pino's redaction of credential-named
 * fields, and a scrub of anything token-shaped in the message and string fields.
 * Lines written while a request is handled carry its request id.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  // Colours only on our own terminal, not into a stream someone handed us.
  const pretty = options.pretty ? prettyStream(destination, !options.destination) : undefined;
  const instance = pino(
    {
      level: options.level,
      messageKey: "message",
      timestamp: pino.stdTimeFunctions.isoTime,
      // Labels read better than numbers in JSON; pino-pretty wants the numbers.
      formatters: pretty ? {} : { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId === undefined ? {} : { requestId };
      },
    },
    pretty ?? destination,
  );
  const at =
    (method: Method) =>
    (message: string, fields: LogFields = {}) => {
      if (instance.isLevelEnabled(method)) {
        instance[method](scrubbed(fields), scrub(message));
      }
    };
  return {
    fatal: at("fatal"),
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
  };
}

const noop = () => undefined;

export const silentLogger: Logger = {
  fatal: noop,
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
};
