import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimiter } from "../refresh/ports.ts";

export interface RateLimiterOptions {
  points: number;
  durationSeconds: number;
  /** Distinguishes limiters sharing a store. */
  keyPrefix: string;
}

function secondsUntil(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/** The RateLimiter port on rate-limiter-flexible's in-memory store. */
export function createMemoryRateLimiter(options: RateLimiterOptions): RateLimiter {
  const limiter = new RateLimiterMemory({
    points: options.points,
    duration: options.durationSeconds,
    keyPrefix: options.keyPrefix,
  });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return 0;
      } catch (reason) {
        if (reason instanceof RateLimiterRes) {
          return secondsUntil(reason);
        }
        throw reason;
      }
    },
    async blockedFor(key) {
      const res = await limiter.get(key);
      return res && res.remainingPoints <= 0 ? secondsUntil(res) : 0;
    },
  };
}
