import type { RateLimiter } from "../refresh/ports.ts";
import { createMemoryRateLimiter, type RateLimiterOptions } from "./memory-rate-limiter.ts";
import { createSharedRateLimiter } from "./redis-rate-limiter.ts";
import { createRedisStore, type StoreEvents, type StoreState } from "./redis-store.ts";

/** The limits' settings: per-minute and per-token budgets (0 turns one off), and where they are counted. */
export interface RateLimitSettings {
  perAddressPerMinute: number;
  failuresPerToken: number;
  failureWindowSeconds: number;
  /** Counts shared by every replica when set; each replica counts alone otherwise. */
  redisUrl: string | undefined;
}

export interface RateLimiters {
  addressLimiter: RateLimiter | undefined;
  tokenFailureLimiter: RateLimiter | undefined;
  /** Where the limits are counted now; readiness and metrics report it. */
  storeState(): StoreState;
  close(): Promise<void>;
}

export interface RateLimiterEvents extends StoreEvents {
  onFallback?(): void;
}

/**
 * The service's own limits, each off when its setting is 0: in Redis when
 * REDIS_URL is set (one count across replicas), in memory otherwise.
 */
export function createRateLimiters(
  config: RateLimitSettings,
  events: RateLimiterEvents = {},
): RateLimiters {
  const anyLimit = config.perAddressPerMinute > 0 || config.failuresPerToken > 0;
  const store = config.redisUrl && anyLimit ? createRedisStore(config.redisUrl, events) : undefined;
  const limiter = (options: RateLimiterOptions): RateLimiter =>
    store
      ? createSharedRateLimiter({ ...options, store, onFallback: events.onFallback })
      : createMemoryRateLimiter(options);
  return {
    addressLimiter:
      config.perAddressPerMinute > 0
        ? limiter({
            keyPrefix: "address",
            points: config.perAddressPerMinute,
            durationSeconds: 60,
          })
        : undefined,
    tokenFailureLimiter:
      config.failuresPerToken > 0
        ? limiter({
            keyPrefix: "token-failures",
            points: config.failuresPerToken,
            durationSeconds: config.failureWindowSeconds,
          })
        : undefined,
    storeState: () => store?.state() ?? "memory",
    close: async () => store?.close(),
  };
}
