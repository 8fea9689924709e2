/**
 * For the observability tests: the service in front of the Cognito fake with its log captured
 * (a pino destination injected through createApp's overrides), the captured lines parsed, a
 * Prometheus text parser, and a check that no 16-character piece of a secret was logged.
 * Nothing here prints a token: failures name the secret's label and the window's position.
 */
import type { DestinationStream } from "pino";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger, type Logger } from "../../src/observability/log.ts";
import { createService, type Service } from "../../src/server.ts";
import { type FakeCognito, startFakeCognito } from "../support/fake-cognito/index.ts";

export interface LogLine {
  level: string;
  message: string;
  requestId?: string;
  [field: string]: unknown;
}

export interface Observed {
  fake: FakeCognito;
  app: Service;
  url: string;
  /** The metrics listener's origin. */
  metricsUrl: string;
  port: number;
  /** Everything logged so far, as written. */
  text(): string;
  /** Everything handed to the logger so far, before its redaction and scrubbing. */
  handed(): string;
  lines(): LogLine[];
  /** The "request" lines for one request id. */
  requestLines(requestId: string): LogLine[];
  /** Waits until the request's line is written (it is written when the response ends). */
  requestLine(requestId: string): Promise<LogLine>;
  close(): Promise<void>;
}

export const FAST = {
  UPSTREAM_TIMEOUT_MS: "2000",
  UPSTREAM_ATTEMPT_TIMEOUT_MS: "500",
} as const;

/** A fake Cognito and the service at LOG_LEVEL (trace unless set), its log captured. */
export async function startObserved(env: Record<string, string> = {}): Promise<Observed> {
  const fake = await startFakeCognito();
  const config = loadConfig({
    DRAIN_IDLE_GRACE_MS: "0",
    ...fake.env,
    ...FAST,
    LOG_LEVEL: "trace",
    ...env,
    PORT: "0",
    METRICS_PORT: "0",
    HOST: "127.0.0.1",
  });
  let written = "";
  let handed = "";
  const destination: DestinationStream = {
    write: (line: string) => {
      written += line;
    },
  };
  // The service's own pino logger on a captured stream, behind a recorder of what callers
  // pass it: the nets inside the logger must not be what keeps tokens out of the log.
  const pinoLogger = createLogger({ level: config.logLevel, destination });
  const logger = Object.fromEntries(
    (["fatal", "error", "warn", "info", "debug"] as const).map((method) => [
      method,
      (message: string, fields?: Record<string, unknown>) => {
        handed += `${JSON.stringify({ method, message, fields })}\n`;
        pinoLogger[method](message, fields as never);
      },
    ]),
  ) as Logger;
  const app = createService(config, { logger });
  const { url, port, metricsUrl } = await app.listen();
  const lines = () =>
    written
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine);
  const requestLines = (requestId: string) =>
    lines().filter((line) => line.message === "request" && line.requestId === requestId);
  return {
    fake,
    app,
    url,
    metricsUrl,
    port,
    text: () => written,
    handed: () => handed,
    lines,
    requestLines,
    async requestLine(requestId) {
      for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
        const [line] = requestLines(requestId);
        if (line) return line;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no request line for ${requestId}`);
    },
    async close() {
      await app.close(2000);
      await fake.close();
    },
  };
}

export const WINDOW = 16;

/**
 * The secrets (by label) any 16-character window of which occurs in `text`. Every window of
 * the text goes into a set once, so each secret costs one lookup per window of its own.
 */
export function leakedSecrets(text: string, secrets: ReadonlyMap<string, string>): string[] {
  const windows = new Set<string>();
  for (let i = 0; i + WINDOW <= text.length; i++) windows.add(text.slice(i, i + WINDOW));
  const leaked: string[] = [];
  for (const [label, secret] of secrets) {
    for (let i = 0; i + WINDOW <= secret.length; i++) {
      if (windows.has(secret.slice(i, i + WINDOW))) {
        leaked.push(`${label} (characters ${i}..${i + WINDOW})`);
        break;
      }
    }
  }
  return leaked;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  const line = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/;
  const label = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;
  for (const raw of text.split("\n")) {
    if (!raw || raw.startsWith("#")) continue;
    const match = line.exec(raw.trim());
    if (!match) throw new Error(`not a sample line: ${raw}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? "").matchAll(label)) {
      labels[name as string] = value as string;
    }
    const value = match[3] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[3]);
    samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function total(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** GET /metrics from a metrics listener's origin. */
export async function scrape(url: string): Promise<{ contentType: string; samples: Sample[] }> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  return { contentType: response.headers.get("content-type") ?? "", samples: parseMetrics(text) };
}
