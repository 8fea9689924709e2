import type { RedisStore, StoreState } from "../redis/redis-store.ts";
import type { RateLimiter } from "../refresh/ports.ts";
import { createMemoryRateLimiter, type RateLimiterOptions } from "./memory-rate-limiter.ts";
import { createSharedRateLimiter } from "./redis-rate-limiter.ts";

/** The limits' settings: per-minute and per-token budgets (0 turns one off), and where they are counted. */
export interface RateLimitSettings {
  perAddressPerMinute: number;
  failuresPerToken: number;
  failureWindowSeconds: number;
}

export interface RateLimiters {
  addressLimiter: RateLimiter | undefined;
  tokenFailureLimiter: RateLimiter | undefined;
  /** Where the limits are counted now; readiness and metrics report it. */
  storeState(): StoreState;
  close(): Promise<void>;
}

export interface RateLimiterShared {
  /** The Redis every replica counts in; each replica counts alone without it. */
  store?: RedisStore | undefined;
  onFallback?(): void;
}

/**
 * The service's own limits, each off when its setting is 0: in Redis when there is one
 * (REDIS_URL: one count across replicas), in memory otherwise.
 */
export function createRateLimiters(
  config: RateLimitSettings,
  shared: RateLimiterShared = {},
): RateLimiters {
  const anyLimit = config.perAddressPerMinute > 0 || config.failuresPerToken > 0;
  const store = anyLimit ? shared.store : undefined;
  const limiter = (options: RateLimiterOptions): RateLimiter =>
    store
      ? createSharedRateLimiter({ ...options, store, onFallback: shared.onFallback })
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
    // The store belongs to whoever made it.
    close: async () => undefined,
  };
}
