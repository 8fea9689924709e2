import type { IdentityProvider, ProviderTokens } from "./ports.ts";
import { tokenKey } from "./token-key.ts";

export interface CoalescingProvider extends IdentityProvider {
  /** Upstream calls in flight now (for tests and metrics). */
  inFlight(): number;
}

function abortable<T>(shared: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) {
    return shared;
  }
  if (signal.aborted) {
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    shared.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (reason: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(reason);
      },
    );
  });
}

/**
 * Identical refresh tokens in flight together share one upstream call and all
 * get its result, success or failure: several tabs refreshing at once must not
 * race a rotating provider into revoking the session. The shared call runs
 * under the provider's own timeout, not under any one caller's signal, so a
 * caller that gives up leaves the others their answer. The entry is gone as
 * soon as the call settles: this coalesces, it never caches.
 */
export function coalesce(provider: IdentityProvider): CoalescingProvider {
  const inFlight = new Map<string, Promise<ProviderTokens>>();
  return {
    inFlight: () => inFlight.size,
    refresh(refreshToken, signal) {
      if (signal?.aborted) {
        // The caller is gone: no upstream call on its behalf.
        return Promise.reject(signal.reason);
      }
      const key = tokenKey(refreshToken);
      let shared = inFlight.get(key);
      if (!shared) {
        shared = provider.refresh(refreshToken).finally(() => inFlight.delete(key));
        inFlight.set(key, shared);
      }
      return abortable(shared, signal);
    },
  };
}
