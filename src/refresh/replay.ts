import type {
  Claim,
  Clock,
  HeldTokenState,
  IdentityProvider,
  ProviderTokens,
  ReplayStore,
} from "./ports.ts";
import { RefreshError } from "./refresh-error.ts";
import { type Sealer, sealerFor } from "./replay-seal.ts";
import { tokenKey } from "./token-key.ts";
import { untilAborted } from "./until-aborted.ts";

export interface ReplayEvents {
  /** An answer handed out again from the store: no upstream call. */
  replayed?(): void;
  /** An answer another replica's call produced, waited for. */
  shared?(): void;
  /** A request joined this replica's call for the token, still running after its caller left. */
  joined?(): void;
  /** A claim whose holder went silent past its time, taken over. */
  tookOver?(): void;
}

export interface ReplayOptions {
  store: ReplayStore;
  /** How long an answer is handed out again (REFRESH_REPLAY_SECONDS). */
  windowMs: number;
  /** How long a claim on a token's upstream call lasts: beyond the call's own timeout. */
  claimMs: number;
  clock?: Clock | undefined;
  events?: ReplayEvents | undefined;
}

// A lapsed claim is taken over, and a claim can lapse again: bounded, so a request ends.
const MAX_ROUNDS = 4;
// A waiter looks again this long after the holder's claim should have lapsed.
const LAPSE_MARGIN_MS = 50;

/**
 * One upstream call and one answer per refresh token, for a short window. A refresh of a
 * token refreshed successfully within the window gets the same answer again (the same tokens,
 * the same rotated refresh token, expires_in reduced by the time since), without an upstream
 * call: tabs racing, a retry after a lost answer and replicas racing all get what the first
 * got, where a rotating provider would refuse the second use as a reuse. Refusals are never
 * kept. Across replicas the store's claim lets one call upstream while the others wait for its
 * outcome; a claim whose holder died lapses and is taken over. Once started, the upstream call
 * runs to its own timeout even if every caller leaves, so a client retrying a lost answer finds it.
 */
export interface ReplayingProvider extends IdentityProvider, HeldTokenState {
  /** Resolves once the upstream calls running now have ended (their callers may be gone). */
  idle(): Promise<void>;
}

export function replaying(provider: IdentityProvider, options: ReplayOptions): ReplayingProvider {
  const { store, windowMs, claimMs, events = {} } = options;
  const clock = options.clock ?? Date.now;
  // This replica's upstream calls, until settled: a caller that comes back joins its own call.
  const running = new Map<string, Promise<ProviderTokens>>();

  const lookup = async (key: string, sealer: Sealer): Promise<ProviderTokens | undefined> => {
    const sealed = await store.get(key).catch(() => undefined);
    const entry = sealed === undefined ? undefined : sealer.open(sealed);
    if (!entry) return undefined;
    // issuedAt is the clock of the replica that called: another replica's clock may be a
    // little behind it. The store's TTL bounds the window whatever the clocks say.
    const age = Math.max(0, clock() - entry.issuedAt);
    if (age >= windowMs) return undefined;
    const { expiresIn } = entry.tokens;
    const elapsed = Math.floor(age / 1000);
    return {
      ...entry.tokens,
      expiresIn: expiresIn === undefined ? undefined : Math.max(0, expiresIn - elapsed),
    };
  };

  const call = (token: string, key: string, sealer: Sealer, claim: Claim) => {
    const settled = provider.refresh(token, undefined, key).then(
      async (tokens) => {
        const sealed = sealer.seal({ tokens, issuedAt: clock() });
        await store.put(key, sealed, windowMs).catch(() => undefined);
        await claim.settle("ok").catch(() => undefined);
        return tokens;
      },
      async (reason: unknown) => {
        await claim.settle(RefreshError.from(reason).kind).catch(() => undefined);
        throw reason;
      },
    );
    const entry = settled.finally(() => {
      if (running.get(key) === entry) running.delete(key);
    });
    entry.catch(() => undefined); // every caller may have left: the call still ends quietly
    running.set(key, entry);
    return entry;
  };

  return {
    async idle() {
      await Promise.allSettled([...running.values()]);
    },
    async forget(key) {
      // A call still running keeps its callers, but its answer is not kept.
      running.delete(key);
      await store.forget(key, windowMs + claimMs);
    },
    async refresh(token, signal, knownKey) {
      if (signal?.aborted) throw signal.reason;
      const key = knownKey ?? tokenKey(token);
      const sealer = sealerFor(token, key);
      let lapsed = false;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const own = running.get(key);
        if (own) {
          events.joined?.();
          return untilAborted(own, signal);
        }
        const watch = store.watch(key);
        try {
          const hit = await lookup(key, sealer);
          if (signal?.aborted) throw signal.reason;
          if (hit) {
            events.replayed?.();
            return hit;
          }
          const claim = await store.claim(key, claimMs);
          if ("settle" in claim) {
            // Another caller may have finished between the look and the claim.
            const late = await lookup(key, sealer);
            if (late) {
              await claim.settle("ok").catch(() => undefined);
              events.replayed?.();
              return late;
            }
            if (lapsed) events.tookOver?.();
            return await untilAborted(call(token, key, sealer, claim), signal);
          }
          // Released between the claim and its look: look again at once.
          if (claim.heldForMs <= 0) continue;
          const outcome = await watch.outcome(claim.heldForMs + LAPSE_MARGIN_MS, signal);
          if (outcome === "expired") {
            lapsed = true;
          } else if (outcome === "ok") {
            const shared = await lookup(key, sealer);
            if (shared) {
              events.shared?.();
              return shared;
            }
          } else {
            // The holder's refusal, as its kind only: its cause stays with the holder.
            const retry = outcome === "unavailable" || outcome === "rate_limited";
            throw new RefreshError(outcome, retry ? { retryAfterSeconds: 1 } : {});
          }
        } finally {
          watch.close();
        }
      }
      throw new RefreshError("unavailable", { reason: "refresh claim kept lapsing" });
    },
  };
}
