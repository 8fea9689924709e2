import { AsyncLocalStorage } from "node:async_hooks";
import type { Outcome } from "../wire/outcome.ts";

/**
 * What is known about one request while it runs. Only labels, numbers and our
 * own words go in here: never a header, a body or an error, so nothing from
 * here can carry a token into a log line or a metric label.
 */
export interface RequestFacts {
  readonly requestId: string;
  /** Set once, by the code that decided the answer (see recordOutcome). */
  outcome?: Outcome | undefined;
  /** The RPC code name (connect-es spelling) of an RPC answer. */
  rpcCode?: string | undefined;
  /** Our own upstream call for this request (absent when it joined another's). */
  upstreamMs?: number | undefined;
  upstreamAttempts?: number | undefined;
  coalesced: boolean;
  /** Answered from the replay window (or another replica's call): no upstream call. */
  replayed?: boolean | undefined;
}

const storage = new AsyncLocalStorage<RequestFacts>();

/**
 * Runs a request's handling with its facts reachable from anywhere below it, so
 * decorators around the use case's ports can add to them without the use case
 * (or the transports' signatures) knowing.
 */
export function runWithFacts<T>(facts: RequestFacts, work: () => T): T {
  return storage.run(facts, work);
}

/** Adds to the current request's facts; a no-op outside a request (start-up, tests). */
export function annotate(
  facts: Partial<Omit<RequestFacts, "requestId" | "outcome" | "rpcCode">>,
): void {
  const current = storage.getStore();
  if (current) Object.assign(current, facts);
}

/**
 * Records how the current request ended. The first record wins: the code that decided the
 * answer records it, and a layer below that writes it out (the Connect adapter reading back
 * an answer our handler gave) cannot overwrite it.
 */
export function recordOutcome(outcome: Outcome, rpcCode?: string): void {
  const current = storage.getStore();
  if (current && current.outcome === undefined) {
    current.outcome = outcome;
    current.rpcCode = rpcCode;
  }
}

/** The request being handled, for log lines written while it runs. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
