import type { RateLimiter } from "./ports.ts";
import { RefreshError } from "./refresh-error.ts";

/** Over one of this service's own limits: come back in `retryAfterSeconds`. */
export function rateLimited(retryAfterSeconds: number): RefreshError {
  return new RefreshError("rate_limited", { retryAfterSeconds });
}

/**
 * Counts a request against its client address; throws rate_limited past the limit. A request
 * whose address is unknown (its connection already gone) shares one budget with all such
 * requests: the limit must not fail open.
 */
export async function countAddress(
  limiter: RateLimiter | undefined,
  clientAddress: string | undefined,
): Promise<void> {
  if (!limiter) return;
  const wait = await limiter.consume(clientAddress ?? "unknown");
  if (wait > 0) throw rateLimited(wait);
}
