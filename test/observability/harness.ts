/**
 * For the observability tests: the service in front of the Cognito fake with its log captured
 * (the one starter's logCapture), the captured lines by request, a Prometheus text parser, and
 * a check that no 16-character piece of a secret was logged.
 * Nothing here prints a token: failures name the secret's label and the window's position.
 */
import type { LogLevel } from "../../src/observability/log.ts";
import type { Service } from "../../src/server.ts";
import { type FakeCognito, startFakeCognito } from "../support/fake-cognito/index.ts";
import type { LogLine } from "../support/log-capture.ts";
import { startService } from "../support/server.ts";

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
  const service = await startService(
    { ...fake.env, ...FAST, ...env },
    { logLevel: (env.LOG_LEVEL as LogLevel | undefined) ?? "trace", logCapture: true },
  );
  const { log } = service;
  const requestLines = (requestId: string) =>
    log.lines().filter((line) => line.message === "request" && line.requestId === requestId);
  return {
    fake,
    app: service.app,
    url: service.url,
    metricsUrl: service.metricsUrl,
    port: service.port,
    text: log.text,
    handed: log.handed,
    lines: log.lines,
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
      await service.close();
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
