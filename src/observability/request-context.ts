import { AsyncLocalStorage } from "node:async_hooks";
import type { RefreshErrorKind } from "../refresh/refresh-error.ts";

/** How a request ended: success, a kind of the closed set, or what the transport saw. */
export type Outcome =
  | "success"
  | RefreshErrorKind
  | "not_found"
  | "method_not_allowed"
  | "deadline_exceeded"
  | "cancelled";

export type Protocol = "rest" | "connect" | "grpc" | "grpc-web" | "http";

/**
 * What is known about one request while it runs. Only labels, numbers and our
 * own words go in here: never a header, a body or an error, so nothing from
 * here can carry a token into a log line or a metric label.
 */
export interface RequestFacts {
  readonly requestId: string;
  /** Set by the handler that answered; otherwise read from the response. */
  outcome?: Outcome | undefined;
  /** The RPC code name (connect-es spelling), when the handler answered it. */
  rpcCode?: string | undefined;
  /** Our own upstream call for this request (absent when it joined another's). */
  upstreamMs?: number | undefined;
  upstreamAttempts?: number | undefined;
  coalesced: boolean;
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
export function annotate(facts: Partial<Omit<RequestFacts, "requestId">>): void {
  const current = storage.getStore();
  if (current) Object.assign(current, facts);
}

/** The request being handled, for log lines written while it runs. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
