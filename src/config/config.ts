/**
 * Environment -> one typed, validated object, read once at start-up. A bad value throws
 * ConfigError naming the variable and what it expects; main.ts prints that one line and
 * exits 2. Production settings only: the development default (no COGNITO_* at all) is
 * resolved to ordinary settings by src/local/ before this runs.
 */

import { isIP } from "node:net";
import { LOG_LEVELS, type LogLevel } from "../observability/log.ts";
import { cookie, cors } from "./browser.ts";
import { cognitoConfig } from "./cognito.ts";
import { ConfigError, type Env, get, integer } from "./env.ts";
import { limits, rateLimit } from "./limits.ts";
import type { Config } from "./types.ts";

export { hasCognitoSettings } from "./cognito.ts";
export { ConfigError } from "./env.ts";
export type { CognitoConfig, Config, LogLevel, RefreshApi } from "./types.ts";

function basePath(env: Env): string {
  const raw = get(env, "BASE_PATH") ?? "/auth/api/v1";
  if (raw === "/") {
    return "";
  }
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(raw)) {
    throw new ConfigError(
      "BASE_PATH",
      `expected a path like /auth/api/v1 (leading slash, no trailing slash), got "${raw}"`,
    );
  }
  return raw;
}

function tls(env: Env): Config["tls"] {
  const certFile = get(env, "TLS_CERT");
  const keyFile = get(env, "TLS_KEY");
  if (!certFile && !keyFile) {
    return undefined;
  }
  if (!certFile || !keyFile) {
    throw new ConfigError(certFile ? "TLS_KEY" : "TLS_CERT", "TLS_CERT and TLS_KEY go together");
  }
  return { certFile, keyFile };
}

function logLevel(env: Env): LogLevel {
  const raw = get(env, "LOG_LEVEL") ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError("LOG_LEVEL", `expected one of ${LOG_LEVELS.join(", ")}`);
  }
  return raw as LogLevel;
}

function policy(env: Env): Config["policy"] {
  const requiredGroup = get(env, "CUSTOMER_GROUP");
  const rawClaim = get(env, "CUSTOMER_CLAIM");
  if (rawClaim === undefined) {
    return { requiredGroup, requiredClaim: undefined };
  }
  const eq = rawClaim.indexOf("=");
  if (eq < 1 || eq === rawClaim.length - 1) {
    throw new ConfigError("CUSTOMER_CLAIM", "expected name=value, like custom:role=customer");
  }
  return {
    requiredGroup,
    requiredClaim: { name: rawClaim.slice(0, eq), value: rawClaim.slice(eq + 1) },
  };
}

function metrics(env: Env, listenHost: string, port: number): Config["metrics"] {
  const metricsPort = integer(env, "METRICS_PORT", 9464, 0, 65535);
  if (metricsPort !== 0 && metricsPort === port) {
    throw new ConfigError("METRICS_PORT", `expected a port other than PORT (${port})`);
  }
  const metricsHost = get(env, "METRICS_HOST") ?? listenHost;
  if (isIP(metricsHost) === 0 && metricsHost !== "localhost") {
    throw new ConfigError(
      "METRICS_HOST",
      `expected an IP address to listen on, got "${metricsHost}"`,
    );
  }
  return { host: metricsHost, port: metricsPort };
}

export function loadConfig(env: Env = process.env): Config {
  const base = basePath(env);
  const host = get(env, "HOST") ?? "0.0.0.0";
  const port = integer(env, "PORT", 8080, 0, 65535);
  return {
    host,
    metrics: metrics(env, host, port),
    port,
    basePath: base,
    cognito: cognitoConfig(env),
    cookie: cookie(env, base),
    cors: cors(env),
    tls: tls(env),
    logLevel: logLevel(env),
    limits: limits(env),
    rateLimit: rateLimit(env),
    policy: policy(env),
    replay: {
      // Cognito's own reuse grace period is at most 60 s: a longer window would hand out
      // answers for a token Cognito itself would refuse.
      windowSeconds: integer(env, "REFRESH_REPLAY_SECONDS", 10, 0, 60),
      maxEntries: integer(env, "REFRESH_REPLAY_MAX_ENTRIES", 5000, 1, 1_000_000),
    },
  };
}
