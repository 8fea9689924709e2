import { isIP } from "node:net";
import { ConfigError, type Env, get, integer } from "./env.ts";
import type { Config } from "./types.ts";

export function limits(env: Env): Config["limits"] {
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

export function rateLimit(env: Env): Config["rateLimit"] {
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
