import type { HeldTokenState, IdentityProvider, RateLimiter } from "../refresh/ports.ts";
import type { ReplayEvents } from "../refresh/replay.ts";
import type { LimitName, Metrics } from "./metrics.ts";
import { annotate } from "./request-context.ts";

/**
 * Decorators around the use case's ports, wired in app.ts: they tell the
 * metrics and the current request's facts what happened, and the use case
 * never knows they are there.
 */

/** One call to the identity provider as its adapter reports it. */
export interface UpstreamCall {
  operation: string;
  /** "success" or the kind of the closed set the failure was classified as. */
  outcome: string;
  durationMs: number;
  /** What the SDK says it made (`$metadata.attempts`); unknown when it never said. */
  attempts: number | undefined;
}

/** Where the provider adapter reports its calls: the request's facts and the metrics. */
export function upstreamRecorder(metrics: Metrics): (call: UpstreamCall) => void {
  return (call) => {
    const { operation, outcome, durationMs, attempts } = call;
    metrics.upstreamCall({ operation, outcome }, durationMs / 1000, attempts);
    // Runs in the context of the request that started the call: a request that joined
    // it gets no upstream figures of its own (it is marked coalesced instead).
    annotate({ upstreamMs: durationMs, upstreamAttempts: attempts });
  };
}

/**
 * Coalescing with a count of the requests that joined a call already in flight.
 * The coalescer starts a new upstream call synchronously inside refresh(), so a
 * refresh() that returns without having called the inner provider joined one.
 */
export function observeCoalescing(
  provider: IdentityProvider,
  coalesce: (inner: IdentityProvider) => IdentityProvider & HeldTokenState,
  metrics: Metrics,
): IdentityProvider & HeldTokenState {
  let started = false;
  const shared = coalesce({
    refresh(token, signal) {
      started = true;
      return provider.refresh(token, signal);
    },
  });
  return {
    forget: (key) => shared.forget(key),
    refresh(token, signal, key) {
      started = false;
      const result = shared.refresh(token, signal, key);
      // A caller already gone is refused before any call: it joined nothing.
      if (!started && !signal?.aborted) {
        metrics.coalesced();
        annotate({ coalesced: true });
      }
      return result;
    },
  };
}

/**
 * Counts the refusals of one limit. `refuses` is the method whose answer turns
 * a request away: the per-address limit refuses on consume(), the per-token
 * failure limit on blockedFor() (its consume() only counts a failure).
 */
export function observeLimiter(
  limiter: RateLimiter | undefined,
  refuses: keyof RateLimiter,
  limit: LimitName,
  metrics: Metrics,
): RateLimiter | undefined {
  if (!limiter) return undefined;
  const observed: RateLimiter = {
    consume: (key) => limiter.consume(key),
    blockedFor: (key) => limiter.blockedFor(key),
  };
  observed[refuses] = async (key) => {
    const wait = await limiter[refuses](key);
    if (wait > 0) metrics.rateLimited(limit);
    return wait;
  };
  return observed;
}

/** The replay's answers and take-overs, counted; a replayed answer is marked on its request. */
export function replayEvents(metrics: Metrics): ReplayEvents {
  return {
    replayed() {
      metrics.replay.answered("replayed");
      annotate({ replayed: true });
    },
    shared() {
      metrics.replay.answered("shared");
      annotate({ replayed: true });
    },
    joined() {
      metrics.replay.answered("joined");
      annotate({ coalesced: true });
    },
    tookOver: () => metrics.replay.tookOver(),
  };
}
