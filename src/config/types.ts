import type { CognitoSettings } from "../cognito/cognito-settings.ts";
import type { LogLevel } from "../observability/log.ts";

/** The service's settings, as parsed once from the environment at start-up. */
export type { RefreshApi } from "../cognito/cognito-settings.ts";
export type CognitoConfig = CognitoSettings;
export type { LogLevel };

export interface Config {
  host: string;
  port: number;
  basePath: string;
  cognito: CognitoConfig;
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
  /** The refresh replay window (0 seconds: off) and its in-memory store's bound. */
  replay: { windowSeconds: number; maxEntries: number };
  policy: {
    requiredGroup: string | undefined;
    requiredClaim: { name: string; value: string } | undefined;
  };
}
