import type { HeldTokenState, IdentityProvider, ProviderTokens } from "./ports.ts";
import { tokenKey } from "./token-key.ts";
import { untilAborted } from "./until-aborted.ts";

interface Shared {
  promise: Promise<ProviderTokens>;
  controller: AbortController;
  /** Callers with a signal still waiting. */
  waiting: number;
  /** A caller without a signal is waiting: never abort. */
  pinned: boolean;
}

export interface CoalescingProvider extends IdentityProvider, HeldTokenState {
  /** Upstream calls in flight now (for tests and metrics). */
  inFlight(): number;
}

/**
 * Identical refresh tokens in flight together share one upstream call and all
 * get its result, success or failure: several tabs refreshing at once must not
 * race a rotating provider into revoking the session. The shared call runs
 * under the provider's own timeout, not under any one caller's signal, so a
 * caller that gives up leaves the others their answer; once every caller has
 * given up, the call is aborted, so it never outlives all of their deadlines.
 * The entry is gone as soon as the call settles: this coalesces, it never caches.
 * forget() lets the call finish for those already waiting but lets nobody else join it:
 * a revoked token's next refresh asks the provider again.
 */
export function coalesce(provider: IdentityProvider): CoalescingProvider {
  const inFlight = new Map<string, Shared>();
  const start = (key: string, refreshToken: string): Shared => {
    const controller = new AbortController();
    const entry: Shared = {
      promise: provider.refresh(refreshToken, controller.signal).finally(() => {
        // A call forgotten and started again has a newer entry under the same key.
        if (inFlight.get(key) === entry) inFlight.delete(key);
      }),
      controller,
      waiting: 0,
      pinned: false,
    };
    // Callers that never abort still see the rejection through their own promise.
    entry.promise.catch(() => undefined);
    inFlight.set(key, entry);
    return entry;
  };
  return {
    inFlight: () => inFlight.size,
    forget(key) {
      inFlight.delete(key);
    },
    refresh(refreshToken, signal, knownKey) {
      if (signal?.aborted) {
        // The caller is gone: no upstream call on its behalf.
        return Promise.reject(signal.reason);
      }
      const key = knownKey ?? tokenKey(refreshToken);
      const entry = inFlight.get(key) ?? start(key, refreshToken);
      if (!signal) {
        entry.pinned = true;
        return entry.promise;
      }
      entry.waiting += 1;
      return untilAborted(entry.promise, signal, () => {
        entry.waiting -= 1;
        if (entry.waiting === 0 && !entry.pinned) {
          // Nobody joins a call being aborted: a retry starts its own.
          if (inFlight.get(key) === entry) inFlight.delete(key);
          entry.controller.abort(signal.reason);
        }
      });
    },
  };
}
