/**
 * Environment -> one typed, validated object, read once at start-up.
 * A bad value throws ConfigError naming the variable and what it expects;
 * main.ts prints that one line and exits 2.
 */

import { isIP } from "node:net";
import { cognitoConfig } from "./config-cognito.ts";
import { ConfigError, type Env, get, integer } from "./config-env.ts";
import { isLoopbackHost } from "./loopback.ts";

export { ConfigError } from "./config-env.ts";

export type RefreshApi = "get-tokens" | "initiate-auth";
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface CognitoConfig {
  region: string;
  userPoolId: string;
  clientId: string;
  clientSecret: string | undefined;
  /** Set for emulators and fakes; the real AWS endpoint otherwise. */
  endpoint: string | undefined;
  refreshApi: RefreshApi;
  issuer: string;
  jwksUri: string;
}

export interface Config {
  host: string;
  port: number;
  basePath: string;
  /** "embedded" when no Cognito setting is present: start the local emulator. */
  cognito: CognitoConfig | "embedded";
  /** The Prometheus scrape listener, apart from the public port. */
  metrics: { host: string; port: number };
  /** The refresh token cookie: read from requests, written by rotation, cleared when dead. */
  cookie: { name: string; path: string; maxAgeSeconds: number };
  cors: { origins: string[]; maxAgeSeconds: number };
  tls: { certFile: string; keyFile: string } | undefined;
  logLevel: LogLevel;
  limits: {
    bodyBytes: number;
    /** One refresh, retries included. */
    upstreamTimeoutMs: number;
    /** One attempt; a hung attempt is cut and retried while the refresh's time lasts. */
    upstreamAttemptTimeoutMs: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    idleTimeoutMs: number;
    /** How long a drain (SIGTERM/SIGINT) lets in-flight requests finish before closing them. */
    shutdownTimeoutMs: number;
    /** How long a drain reports not-ready while still serving, before the listener closes. */
    drainDelayMs: number;
    /** How long a drain leaves idle keep-alive connections open to answer one more request. */
    drainIdleGraceMs: number;
    /** Connections open at once; more are closed on accept. */
    maxConnections: number;
  };
  rateLimit: {
    /** Requests per minute per client address; 0 turns it off. */
    perAddressPerMinute: number;
    /** Failed refreshes allowed per token within the window; 0 turns it off. */
    failuresPerToken: number;
    failureWindowSeconds: number;
    /** Proxies whose X-Forwarded-For is believed: addresses or CIDR blocks. */
    trustedProxies: string[];
    /** IPv6 clients count per network of this many bits, not per address. */
    ipv6PrefixBits: number;
    /** Counts shared by every replica when set; each replica counts alone otherwise. */
    redisUrl: string | undefined;
  };
  policy: {
    requiredGroup: string | undefined;
    requiredClaim: { name: string; value: string } | undefined;
  };
  /** Where the embedded default keeps its data; <repo>/.local when unset. */
  localDataDir: string | undefined;
}

// RFC 6265 cookie-name token characters.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
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

// A cookie path: a leading slash, then URL path characters, and nothing that ends the
// attribute (";") or needs escaping.
const COOKIE_PATH = /^\/[A-Za-z0-9._~!$&'()*+,=:@/%-]*$/;

function cookie(env: Env, base: string): Config["cookie"] {
  const name = get(env, "REFRESH_TOKEN_COOKIE") ?? "refresh_token";
  if (!COOKIE_NAME.test(name)) {
    throw new ConfigError("REFRESH_TOKEN_COOKIE", "expected a cookie name (RFC 6265 token)");
  }
  // Cognito's default refresh token validity is 30 days.
  const maxAgeSeconds = integer(env, "REFRESH_TOKEN_COOKIE_MAX_AGE", 2_592_000, 1, 315_360_000);
  // One path for every face: the REST routes and the RPC procedures all live under BASE_PATH.
  // Browsers keep a __Host- cookie only at Path=/.
  const hostOnly = name.toLowerCase().startsWith("__host-");
  const path = get(env, "REFRESH_TOKEN_COOKIE_PATH") ?? (hostOnly ? "/" : base || "/");
  if (!COOKIE_PATH.test(path)) {
    throw new ConfigError(
      "REFRESH_TOKEN_COOKIE_PATH",
      `expected a cookie path like / or /auth/api/v1, got "${path}"`,
    );
  }
  if (hostOnly && path !== "/") {
    throw new ConfigError("REFRESH_TOKEN_COOKIE_PATH", "a __Host- cookie must have the path /");
  }
  // A browser sends the cookie only to paths under its own: the routes must be among them.
  if (path !== "/" && path !== base && !base.startsWith(`${path.replace(/\/$/, "")}/`)) {
    throw new ConfigError(
      "REFRESH_TOKEN_COOKIE_PATH",
      `expected / or a path that BASE_PATH (${base || "/"}) is under, got "${path}"`,
    );
  }
  return { name, path, maxAgeSeconds };
}

function cors(env: Env): Config["cors"] {
  // Chrome caps a preflight's cache at two hours; longer gains nothing.
  const maxAgeSeconds = integer(env, "CORS_MAX_AGE", 7200, 0, 86_400);
  const raw = get(env, "CORS_ORIGINS");
  if (raw === undefined) {
    return { origins: [], maxAgeSeconds };
  }
  const origins = raw.split(",").map((entry) => {
    const origin = entry.trim();
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== origin || origin === "null") {
      throw new ConfigError(
        "CORS_ORIGINS",
        `expected comma-separated origins like https://app.example.com, got "${origin}"`,
      );
    }
    return origin;
  });
  return { origins, maxAgeSeconds };
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

function limits(env: Env): Config["limits"] {
  const upstreamTimeoutMs = integer(env, "UPSTREAM_TIMEOUT_MS", 5000, 100, 60_000);
  const attempt = integer(env, "UPSTREAM_ATTEMPT_TIMEOUT_MS", 2000, 50, 60_000);
  const headersTimeoutMs = integer(env, "HEADERS_TIMEOUT_MS", 10_000, 100, 120_000);
  const requestTimeoutMs = integer(env, "REQUEST_TIMEOUT_MS", 30_000, 100, 300_000);
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new ConfigError("REQUEST_TIMEOUT_MS", "expected at least HEADERS_TIMEOUT_MS");
  }
  return {
    bodyBytes: integer(env, "BODY_LIMIT_BYTES", 65_536, 1024, 10_485_760),
    upstreamTimeoutMs,
    upstreamAttemptTimeoutMs: Math.min(attempt, upstreamTimeoutMs),
    headersTimeoutMs,
    requestTimeoutMs,
    idleTimeoutMs: integer(env, "IDLE_TIMEOUT_MS", 60_000, 1000, 3_600_000),
    shutdownTimeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 100, 120_000),
    drainDelayMs: integer(env, "DRAIN_DELAY_MS", 0, 0, 60_000),
    drainIdleGraceMs: integer(env, "DRAIN_IDLE_GRACE_MS", 1000, 0, 60_000),
    maxConnections: integer(env, "MAX_CONNECTIONS", 1000, 1, 1_000_000),
  };
}

function rateLimit(env: Env): Config["rateLimit"] {
  const trustedProxies = (get(env, "TRUST_PROXY") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of trustedProxies) {
    const [address, bits, extra] = entry.split("/");
    const family = isIP(address ?? "");
    const maxBits = family === 6 ? 128 : 32;
    const badBits = bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || badBits || extra !== undefined) {
      throw new ConfigError(
        "TRUST_PROXY",
        `expected comma-separated proxy addresses or CIDR blocks like 10.0.0.0/8, got "${entry}"`,
      );
    }
  }
  return {
    perAddressPerMinute: integer(env, "RATE_LIMIT_PER_MINUTE", 300, 0, 1_000_000),
    failuresPerToken: integer(env, "RATE_LIMIT_FAILURES_PER_TOKEN", 5, 0, 1_000_000),
    failureWindowSeconds: integer(env, "RATE_LIMIT_FAILURE_WINDOW_SECONDS", 900, 1, 86_400),
    trustedProxies,
    ipv6PrefixBits: integer(env, "RATE_LIMIT_IPV6_PREFIX", 64, 1, 128),
    redisUrl: redisUrl(env),
  };
}

function redisUrl(env: Env): string | undefined {
  const raw = get(env, "REDIS_URL");
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // The value may hold a password: the message never repeats it.
  const database = /^\/?\d*$/.test(url?.pathname ?? "");
  if (!url || !["redis:", "rediss:"].includes(url.protocol) || !url.hostname || !database) {
    throw new ConfigError(
      "REDIS_URL",
      "expected redis://[:password@]host[:port][/db] or rediss://…",
    );
  }
  return raw;
}

/**
 * The embedded default hands out demo tokens (/demo/token): it listens on loopback only,
 * whatever HOST asks; a service for the network is configured with COGNITO_*.
 */
function host(env: Env, embedded: boolean): string {
  const raw = get(env, "HOST");
  if (!embedded) return raw ?? "0.0.0.0";
  if (raw !== undefined && !isLoopbackHost(raw)) {
    throw new ConfigError(
      "HOST",
      `the embedded default (no COGNITO_* set) serves demo tokens on loopback only (127.0.0.1, ::1), got "${raw}"`,
    );
  }
  return raw ?? "127.0.0.1";
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
  const cognito = cognitoConfig(env);
  const base = basePath(env);
  const listenHost = host(env, cognito === "embedded");
  const port = integer(env, "PORT", 8080, 0, 65535);
  return {
    host: listenHost,
    metrics: metrics(env, listenHost, port),
    port,
    basePath: base,
    cognito,
    cookie: cookie(env, base),
    cors: cors(env),
    tls: tls(env),
    logLevel: logLevel(env),
    limits: limits(env),
    rateLimit: rateLimit(env),
    policy: policy(env),
    localDataDir: get(env, "LOCAL_DATA_DIR"),
  };
}
