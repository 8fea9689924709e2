import { RateLimiterMemory } from "rate-limiter-flexible";
import type { RateLimiter } from "../refresh/ports.ts";
import { flexiblePort } from "./flexible-port.ts";

export interface RateLimiterOptions {
  points: number;
  durationSeconds: number;
  /** Distinguishes limiters sharing a store. */
  keyPrefix: string;
}

/** The RateLimiter port on rate-limiter-flexible's in-memory store: one replica's count. */
export function createMemoryRateLimiter(options: RateLimiterOptions): RateLimiter {
  return flexiblePort(
    new RateLimiterMemory({
      points: options.points,
      duration: options.durationSeconds,
      keyPrefix: options.keyPrefix,
    }),
  );
}
