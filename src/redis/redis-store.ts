import { createRequire } from "node:module";
import type { Redis } from "ioredis";

// ioredis is loaded by the first createRedisStore(), not at import: without REDIS_URL (the
// default) it is never needed, and loading it is about a tenth of the service's start-up.
const load = createRequire(import.meta.url);

/**
 * Where the limits are counted: one replica alone (no Redis configured), all replicas
 * through Redis, this replica alone until the first connection is proven ("connecting"), or
 * this replica alone because Redis failed.
 */
export type StoreState = "memory" | "connecting" | "redis" | "memory_fallback";

export interface StoreEvents {
  /** Called on every change of state, with why when it falls back (an error code, never a URL). */
  onStateChange?(state: StoreState, reason?: string): void;
}

export interface RedisStore {
  readonly client: Redis;
  state(): StoreState;
  /** Worth sending a command: connected and last seen accepting the limiter's writes. */
  available(): boolean;
  /** A command failed: count in memory until a probe succeeds again. */
  commandFailed(reason: unknown): void;
  close(): Promise<void>;
}

// A limit check sits in front of every refresh: Redis gets this long, then
// the replica decides alone rather than make the customer wait.
const COMMAND_TIMEOUT_MS = 250;
const CONNECT_TIMEOUT_MS = 2000;
// While Redis is connected but failing, one probe this often (not every request) finds out
// when it is back.
const PROBE_INTERVAL_MS = 1000;
// The probe does what a limit check does, a script that writes: a PING would pass on a
// read-only replica after a failover, on OOM or MISCONF, or under an ACL without EVAL.
const PROBE_SCRIPT = "return redis.call('set', KEYS[1], '1', 'PX', 10000)";
const PROBE_KEY = "worth-auth:rl:probe";

/** A short, secret-free name for a failure: a Node error code or Redis's error word. */
function reasonOf(error: unknown): string {
  if (!(error && typeof error === "object")) return "unknown";
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === "string") return code;
  if (typeof message === "string") {
    if (/timed? ?out/i.test(message)) return "ETIMEDOUT";
    if (/not ready/i.test(message)) return "NOT_READY";
    // Redis errors start with their kind in capitals: WRONGPASS, NOAUTH, READONLY, OOM...
    if (name === "ReplyError") return /^[A-Z]+/.exec(message)?.[0] ?? "ReplyError";
  }
  return typeof name === "string" ? name : "unknown";
}

/**
 * One Redis connection for every limiter, and the truth about whether it is
 * usable. Commands never queue while disconnected (enableOfflineQueue false):
 * a limit check fails at once and the in-memory fallback answers; ioredis
 * keeps reconnecting with its capped backoff meanwhile.
 */
export function createRedisStore(url: string, events: StoreEvents = {}): RedisStore {
  const { Redis: RedisClient } = load("ioredis") as typeof import("ioredis");
  const client = new RedisClient(url, {
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    // Reconnect forever, at most every two seconds: Redis coming back ends the fallback.
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
  let state: StoreState = "connecting";
  let closing = false;
  const set = (next: StoreState, reason?: string): void => {
    if (next === state || closing) return;
    state = next;
    events.onStateChange?.(next, reason);
  };
  let probe: NodeJS.Timeout | undefined;
  const stopProbing = (): void => {
    clearInterval(probe);
    probe = undefined;
  };
  const probeOnce = (): void => {
    client.eval(PROBE_SCRIPT, 1, PROBE_KEY).then(
      () => {
        stopProbing();
        set("redis");
      },
      (error: unknown) => {
        set("memory_fallback", reasonOf(error));
        startProbing();
      },
    );
  };
  const startProbing = (): void => {
    probe ??= setInterval(() => {
      if (client.status !== "ready") return stopProbing(); // reconnecting: "ready" will probe
      probeOnce();
    }, PROBE_INTERVAL_MS).unref();
  };
  // Without an error listener ioredis reports each failed reconnect on stderr.
  client.on("error", (error: unknown) => set("memory_fallback", reasonOf(error)));
  client.on("close", () => {
    if (state !== "connecting") set("memory_fallback", "CONNECTION_CLOSED");
  });
  // Connected is not yet usable: the probe proves that Redis takes the limiter's writes.
  client.on("ready", probeOnce);
  return {
    client,
    state: () => state,
    available: () => client.status === "ready" && state === "redis",
    commandFailed(reason) {
      set("memory_fallback", reasonOf(reason));
      if (client.status === "ready") startProbing();
    },
    async close() {
      closing = true;
      stopProbing();
      if (client.status === "ready") {
        await client.quit().catch(() => client.disconnect());
      } else {
        client.disconnect();
      }
    },
  };
}
