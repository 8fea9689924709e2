import { RateLimiterRedis } from "rate-limiter-flexible";
import type { RedisStore } from "../redis/redis-store.ts";
import type { RateLimiter } from "../refresh/ports.ts";
import { flexiblePort } from "./flexible-port.ts";
import { createMemoryRateLimiter, type RateLimiterOptions } from "./memory-rate-limiter.ts";

export interface SharedLimiterOptions extends RateLimiterOptions {
  store: RedisStore;
  /** Called once per decision the in-memory fallback made because Redis failed. */
  onFallback?(): void;
}

/** Keys in a Redis that may be shared with other services. */
const NAMESPACE = "worth-auth:rl";

/**
 * The RateLimiter port counted in Redis, so every replica sees one count.
 * When Redis fails the replica keeps serving and counts alone in memory
 * (the same points, so the limit is per replica while it lasts) rather than
 * refuse or wait: a rate limit must not take the service down with it.
 */
export function createSharedRateLimiter(options: SharedLimiterOptions): RateLimiter {
  const { store, onFallback } = options;
  const shared = flexiblePort(
    new RateLimiterRedis({
      storeClient: store.client,
      points: options.points,
      duration: options.durationSeconds,
      keyPrefix: `${NAMESPACE}:${options.keyPrefix}`,
      // Fail at once while disconnected instead of waiting on a dead socket.
      rejectIfRedisNotReady: true,
    }),
  );
  const local = createMemoryRateLimiter(options);
  const withFallback =
    (method: keyof RateLimiter) =>
    async (key: string): Promise<number> => {
      if (store.available()) {
        try {
          return await shared[method](key);
        } catch (reason) {
          store.commandFailed(reason);
        }
      }
      onFallback?.();
      return local[method](key);
    };
  return { consume: withFallback("consume"), blockedFor: withFallback("blockedFor") };
}
