import type { Config } from "../config.ts";
import type { RateLimiter } from "../refresh/ports.ts";
import { createMemoryRateLimiter } from "./memory-rate-limiter.ts";

export interface RateLimiters {
  addressLimiter: RateLimiter | undefined;
  tokenFailureLimiter: RateLimiter | undefined;
}

/** The service's own limits, each off when its setting is 0. In memory, per replica. */
export function createRateLimiters(config: Config["rateLimit"]): RateLimiters {
  return {
    addressLimiter:
      config.perAddressPerMinute > 0
        ? createMemoryRateLimiter({
            keyPrefix: "address",
            points: config.perAddressPerMinute,
            durationSeconds: 60,
          })
        : undefined,
    tokenFailureLimiter:
      config.failuresPerToken > 0
        ? createMemoryRateLimiter({
            keyPrefix: "token-failures",
            points: config.failuresPerToken,
            durationSeconds: config.failureWindowSeconds,
          })
        : undefined,
  };
}
