import { type RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimiter } from "../refresh/ports.ts";

function secondsUntil(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/**
 * The RateLimiter port on any rate-limiter-flexible store. A refusal comes
 * back from the library as a rejected RateLimiterRes: that is an answer
 * (seconds to wait), anything else it rejects with is a store failure.
 */
export function flexiblePort(limiter: RateLimiterAbstract): RateLimiter {
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
