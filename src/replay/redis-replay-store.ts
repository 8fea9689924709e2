import { randomUUID } from "node:crypto";
import type { RedisStore, StoreState } from "../redis/redis-store.ts";
import type { Claim, ClaimOutcome, ClaimWatch, ReplayStore } from "../refresh/ports.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
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
 * memory, as the limits count in theirs. A value lives in one place only, so a revocation
 * through any replica reaches it.
 */
export function createRedisReplayStore(
  redis: RedisStore,
  memory: MemoryReplayStore,
  /** Told when this replica's subscription comes or goes: state() changes with it. */
  onSubscription: () => void = () => {},
): SharedReplayStore {
  const watchers = new Map<string, Set<(outcome: ClaimOutcome) => void>>();
  const subscriber = redis.client.duplicate();
  let subscribed = false;
  const setSubscribed = (now: boolean) => {
    if (now === subscribed) return;
    subscribed = now;
    onSubscription();
  };
  subscriber.on("ready", () => {
    subscriber.subscribe(OUTCOMES).then(
      () => setSubscribed(true),
      () => setSubscribed(false),
    );
  });
  subscriber.on("close", () => setSubscribed(false));
  // Failures show on the main connection's state; without a listener ioredis prints them.
  subscriber.on("error", () => undefined);
  subscriber.on("message", (_channel: string, message: string) => {
    const space = message.indexOf(" ");
    const key = message.slice(0, space);
    const outcome = message.slice(space + 1) as ClaimOutcome;
    for (const notify of watchers.get(key) ?? []) notify(outcome);
  });
  const shared = () => subscribed && redis.available();
  const failed = (reason: unknown) => redis.commandFailed(reason);

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
      // Kept in one place only: a copy in this replica's memory could outlive a revocation
      // made through another replica, and be handed out here once Redis fails.
      if (!shared()) return memory.put(key, sealed, ttlMs);
      await redis.client.eval(PUT, 2, VALUE + key, FORGOTTEN + key, sealed, ttlMs).catch(failed);
    },
    async forget(key, ms) {
      await memory.forget(key, ms);
      // Redis known down: nobody reads it now, and what it holds lapses within the window.
      // Sign-out must not wait for it to come back.
      if (!redis.available()) return;
      try {
        await redis.client
          .multi()
          .del(VALUE + key)
          .set(FORGOTTEN + key, "1", "PX", ms)
          .exec();
      } catch (reason) {
        failed(reason);
        // The answer may still be in Redis: the sign-out is not done until it is gone.
        throw new RefreshError("unavailable", { retryAfterSeconds: 1, reason: "replay store" });
      }
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
      // Its own value per claim: a late settle of a lapsed claim cannot end a newer one.
      const holder = randomUUID();
      const claim: Claim = {
        settle: async (outcome) => {
          await redis.client.eval(SETTLE, 1, CLAIM + key, holder, OUTCOMES, `${key} ${outcome}`);
        },
      };
      let taken: string | null;
      try {
        taken = await redis.client.set(CLAIM + key, holder, "PX", ms, "NX");
      } catch (reason) {
        // The claim may have been taken even so: settling still ends it and tells the others.
        failed(reason);
        return claim;
      }
      if (taken === "OK") return claim;
      try {
        // -2: released between the two commands; look again at once.
        return { heldForMs: Math.min(await redis.client.pttl(CLAIM + key), ms) };
      } catch (reason) {
        failed(reason);
        return { heldForMs: ms };
      }
    },
    async close() {
      subscribed = false;
      subscriber.disconnect();
    },
  };
}
