import type { Config } from "./config/config.ts";
import { createRateLimiters, type RateLimiters } from "./limits/rate-limiters.ts";
import type { Logger } from "./observability/log.ts";
import type { Metrics } from "./observability/metrics.ts";
import { createRedisStore, type StoreState } from "./redis/redis-store.ts";
import type { ReplayStore } from "./refresh/ports.ts";
import { createMemoryReplayStore } from "./replay/memory-replay-store.ts";
import { createRedisReplayStore } from "./replay/redis-replay-store.ts";

/** What replicas share through Redis when REDIS_URL is set: the limits' counts and the replay. */
export interface SharedState {
  limiters: RateLimiters;
  /** Undefined when the replay window is 0 (off). */
  replayStore: ReplayStore | undefined;
  /** Facts /readyz reports: where limits are counted and replay answers kept. */
  readyDetail(): Record<string, string>;
  close(): Promise<void>;
}

/**
 * Part of the composition root: one Redis connection (when configured) for the limits and the
 * replay, and one report of its state, in logs, metrics and /readyz, for both.
 */
export function createSharedState(config: Config, logger: Logger, metrics: Metrics): SharedState {
  const replayOn = config.replay.windowSeconds > 0;
  const { perAddressPerMinute, failuresPerToken } = config.rateLimit;
  const anyLimit = perAddressPerMinute > 0 || failuresPerToken > 0;
  // Nothing to share, nothing to connect to.
  const url = anyLimit || replayOn ? config.rateLimit.redisUrl : undefined;
  let replayState = (): StoreState => "memory";
  const redis =
    url === undefined
      ? undefined
      : createRedisStore(url, {
          onStateChange(state, reason) {
            metrics.rateLimitStore(limiters.storeState());
            if (replayOn) metrics.replay.store(replayState());
            const fields = {
              rateLimitStore: state,
              ...(replayOn && { replayStore: replayState() }),
            };
            if (state === "redis") {
              logger.info("rate limits and refresh replay shared through redis", fields);
            } else {
              logger.warn(
                "redis unavailable; rate limits and refresh replay kept in this replica's memory",
                {
                  ...fields,
                  reason,
                },
              );
            }
          },
        });
  const limiters = createRateLimiters(config.rateLimit, {
    store: redis,
    onFallback: metrics.rateLimitFallback,
  });
  metrics.rateLimitStore(limiters.storeState());
  const memory = createMemoryReplayStore(config.replay.maxEntries);
  // This replica's subscription to the claims' outcomes counts as much as the connection.
  const reportReplay = () => {
    const state = replayState();
    metrics.replay.store(state);
    logger.info("refresh replay store", { replayStore: state });
  };
  const shared =
    redis && replayOn ? createRedisReplayStore(redis, memory, reportReplay) : undefined;
  if (shared) replayState = shared.state;
  if (replayOn) {
    metrics.replay.store(replayState());
    metrics.replay.entries(memory.size);
  }
  return {
    limiters,
    replayStore: replayOn ? (shared ?? memory) : undefined,
    readyDetail: () => ({
      rateLimitStore: limiters.storeState(),
      ...(replayOn && { replayStore: replayState() }),
    }),
    async close() {
      await shared?.close();
      await redis?.close();
    },
  };
}
