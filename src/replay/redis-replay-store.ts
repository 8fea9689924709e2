import { randomUUID } from "node:crypto";
import type { RedisStore, StoreState } from "../redis/redis-store.ts";
import type { Claim, ClaimOutcome, ClaimWatch, ReplayStore } from "../refresh/ports.ts";
import type { MemoryReplayStore } from "./memory-replay-store.ts";

const VALUE = "worth-auth:replay:";
const CLAIM = "worth-auth:replay-claim:";
const FORGOTTEN = "worth-auth:replay-forgotten:";
const OUTCOMES = "worth-auth:replay-outcomes";
// Keeps an answer only if its token was not forgotten (revoked) meanwhile, on any replica.
const PUT =
  "if redis.call('exists', KEYS[2]) == 0 then " +
  "return redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) end return 0";
// Ends a claim only if this replica still holds it, and tells every replica how it ended.
const SETTLE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end " +
  "return redis.call('publish', ARGV[2], ARGV[3])";

export interface SharedReplayStore extends ReplayStore {
  /** Where answers are kept and claims decided now, as the limits report theirs. */
  state(): StoreState;
  close(): Promise<void>;
}

/**
 * The replay store shared by every replica through the Redis the limits use: sealed values
 * with a TTL, a claim per key (SET NX PX) so one replica calls upstream, and the claim's
 * outcome published to the others, who wait for it rather than poll. While Redis is
 * unreachable (or this replica's subscription is down) each replica replays from its own
 * memory, as the limits count in theirs; every value is also kept there, so a window outlives
 * a Redis failure on the replica that issued it.
 */
export function createRedisReplayStore(
  redis: RedisStore,
  memory: MemoryReplayStore,
  onFallback: () => void = () => {},
): SharedReplayStore {
  const holder = randomUUID();
  const watchers = new Map<string, Set<(outcome: ClaimOutcome) => void>>();
  const subscriber = redis.client.duplicate();
  let subscribed = false;
  subscriber.on("ready", () => {
    subscriber.subscribe(OUTCOMES).then(
      () => {
        subscribed = true;
      },
      () => {
        subscribed = false;
      },
    );
  });
  subscriber.on("close", () => {
    subscribed = false;
  });
  // Failures show on the main connection's state; without a listener ioredis prints them.
  subscriber.on("error", () => undefined);
  subscriber.on("message", (_channel: string, message: string) => {
    const space = message.indexOf(" ");
    const key = message.slice(0, space);
    const outcome = message.slice(space + 1) as ClaimOutcome;
    for (const notify of watchers.get(key) ?? []) notify(outcome);
  });
  const shared = () => subscribed && redis.available();
  const failed = (reason: unknown) => {
    redis.commandFailed(reason);
    onFallback();
  };

  return {
    state() {
      const state = redis.state();
      return state === "redis" && !subscribed ? "connecting" : state;
    },
    async get(key) {
      if (shared()) {
        try {
          return (await redis.client.get(VALUE + key)) ?? undefined;
        } catch (reason) {
          failed(reason);
        }
      }
      return memory.get(key);
    },
    async put(key, sealed, ttlMs) {
      await memory.put(key, sealed, ttlMs);
      if (!shared()) return;
      await redis.client.eval(PUT, 2, VALUE + key, FORGOTTEN + key, sealed, ttlMs).catch(failed);
    },
    async forget(key, ms) {
      await memory.forget(key, ms);
      await redis.client
        .multi()
        .del(VALUE + key)
        .set(FORGOTTEN + key, "1", "PX", ms)
        .exec()
        .catch(() => undefined);
    },
    watch(key): ClaimWatch {
      // Registered before anything is looked up: an outcome published meanwhile is kept.
      let announced: ClaimOutcome | undefined;
      let deliver: ((outcome: ClaimOutcome) => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      const listener = (outcome: ClaimOutcome) => {
        announced ??= outcome;
        deliver?.(outcome);
      };
      const set = watchers.get(key) ?? new Set();
      set.add(listener);
      watchers.set(key, set);
      return {
        outcome: (ms, signal) =>
          new Promise((resolve, reject) => {
            if (announced !== undefined) return resolve(announced);
            if (signal?.aborted) return reject(signal.reason);
            deliver = resolve;
            timer = setTimeout(() => resolve("expired"), ms);
            signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
          }),
        close() {
          clearTimeout(timer);
          set.delete(listener);
          if (set.size === 0 && watchers.get(key) === set) watchers.delete(key);
        },
      };
    },
    async claim(key, ms): Promise<Claim | { heldForMs: number }> {
      if (!shared()) return memory.claim(key, ms);
      try {
        const taken = await redis.client.set(CLAIM + key, holder, "PX", ms, "NX");
        if (taken !== "OK") {
          const left = await redis.client.pttl(CLAIM + key);
          return { heldForMs: Math.max(0, Math.min(left, ms)) };
        }
      } catch (reason) {
        failed(reason);
        return memory.claim(key, ms);
      }
      return {
        settle: async (outcome) => {
          await redis.client.eval(SETTLE, 1, CLAIM + key, holder, OUTCOMES, `${key} ${outcome}`);
        },
      };
    },
    async close() {
      subscribed = false;
      subscriber.disconnect();
    },
  };
}
