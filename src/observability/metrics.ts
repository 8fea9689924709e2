import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Outcome } from "../wire/outcome.ts";
import type { Protocol } from "../wire/protocol.ts";

export interface RequestLabels {
  protocol: Protocol;
  route: string;
  outcome: Outcome;
}

export interface UpstreamLabels {
  operation: string;
  /** "success" or the kind the provider's failure was classified as. */
  outcome: string;
}

export interface ReplayMetrics {
  /** Where replay answers are kept and claims decided (as rateLimitStore). */
  store(state: string): void;
  /** What the replay gave instead of an upstream call. */
  answered(how: "replayed" | "shared" | "joined"): void;
  /** A lapsed claim taken over. */
  tookOver(): void;
  /** How to read the in-memory store's size at scrape time. */
  entries(size: () => number): void;
}

/** The rate limits that can refuse a request (see refresh-customer-token.ts). */
export type LimitName = "address" | "token_failures";

export interface Metrics {
  requestStarted(): void;
  requestEnded(labels: RequestLabels, seconds: number): void;
  upstreamCall(labels: UpstreamLabels, seconds: number, attempts: number | undefined): void;
  coalesced(): void;
  rateLimited(limit: LimitName): void;
  /** Where the limits are counted now (memory, connecting, redis, memory_fallback). */
  rateLimitStore(state: string): void;
  /** A limit decision made in memory because the shared store failed. */
  rateLimitFallback(): void;
  /** The refresh replay: where its answers are kept, and what it did instead of a call. */
  replay: ReplayMetrics;
  /** The Prometheus text of this app's metrics and the process's. */
  scrape(): Promise<{ contentType: string; text: string }>;
}

// From a cache-warm refusal (about a millisecond) to the longest upstream budget.
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | undefined;

/**
 * CPU, memory, event loop and GC are facts about the process, not about one
 * app: collected once into a registry of their own (never prom-client's
 * global one), which every app's /metrics appends. Tests start many apps in
 * one process; each gets fresh request counters but the same process metrics.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: "auth_requests_total",
    help: "Requests answered, by protocol, route and outcome (success or the error kind).",
    labelNames: ["protocol", "route", "outcome"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "auth_request_duration_seconds",
    help: "Time from a request's arrival to the end of its response.",
    labelNames: ["protocol", "route", "outcome"] as const,
    buckets: SECONDS,
    registers,
  });
  const inFlight = new Gauge({
    name: "auth_requests_in_flight",
    help: "Requests being handled now.",
    registers,
  });
  const upstream = new Counter({
    name: "auth_upstream_requests_total",
    help: "Calls to the identity provider, by operation and outcome (retries inside one call).",
    labelNames: ["operation", "outcome"] as const,
    registers,
  });
  const upstreamDuration = new Histogram({
    name: "auth_upstream_duration_seconds",
    help: "Duration of one call to the identity provider, its retries included.",
    labelNames: ["operation", "outcome"] as const,
    buckets: SECONDS,
    registers,
  });
  const retries = new Counter({
    name: "auth_upstream_retries_total",
    help: "Attempts beyond the first made by the AWS SDK's retry strategy.",
    labelNames: ["operation"] as const,
    registers,
  });
  const coalesced = new Counter({
    name: "auth_coalesced_requests_total",
    help: "Refreshes that joined an identical one already in flight instead of calling upstream.",
    registers,
  });
  const limited = new Counter({
    name: "auth_rate_limited_requests_total",
    help: "Requests refused by this service's own rate limits, by limit.",
    labelNames: ["limit"] as const,
    registers,
  });
  // Both limits show 0 from the start rather than appearing at their first refusal.
  for (const limit of ["address", "token_failures"] as const) limited.inc({ limit }, 0);
  const store = storeGauge("auth_rate_limit_store", "Where rate limits are counted", registers);
  const fallbacks = new Counter({
    name: "auth_rate_limit_fallback_total",
    help: "Limit decisions made in this replica's memory because Redis failed or was unreachable.",
    registers,
  });
  const replay = replayMetrics(registers);
  const shared = processMetrics();
  return {
    requestStarted: () => inFlight.inc(),
    requestEnded(labels, seconds) {
      inFlight.dec();
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    upstreamCall(labels, seconds, attempts) {
      upstream.inc(labels);
      upstreamDuration.observe(labels, seconds);
      // Incremented by 0 too, so the series exists (and rate() works) before the first retry.
      retries.inc({ operation: labels.operation }, Math.max(0, (attempts ?? 1) - 1));
    },
    coalesced: () => coalesced.inc(),
    rateLimited: (limit) => limited.inc({ limit }),
    rateLimitStore: store,
    rateLimitFallback: () => fallbacks.inc(),
    replay,
    async scrape() {
      const text = `${await registry.metrics()}\n${await shared.metrics()}`;
      return { contentType: registry.contentType, text };
    },
  };
}

const STORES = ["memory", "connecting", "redis", "memory_fallback"] as const;

/** A gauge with 1 for the store in use; returns the setter. */
function storeGauge(name: string, what: string, registers: Registry[]): (state: string) => void {
  const gauge = new Gauge({
    name,
    help: `${what}: 1 for the store in use (${STORES.join(", ")}).`,
    labelNames: ["store"] as const,
    registers,
  });
  return (state) => {
    for (const store of STORES) gauge.set({ store }, store === state ? 1 : 0);
  };
}

function replayMetrics(registers: Registry[]): ReplayMetrics {
  const store = storeGauge("auth_replay_store", "Where refresh replay answers are kept", registers);
  const answered = new Counter({
    name: "auth_replay_answers_total",
    help: "Refreshes answered without an upstream call of their own: replayed from the window, shared from another replica's call, or joined to this replica's call still running.",
    labelNames: ["how"] as const,
    registers,
  });
  for (const how of ["replayed", "shared", "joined"]) answered.inc({ how }, 0);
  const tookOver = new Counter({
    name: "auth_replay_takeovers_total",
    help: "Claims on a token's upstream call taken over after their holder went silent past the claim's time.",
    registers,
  });
  let size: () => number = () => 0;
  new Gauge({
    name: "auth_replay_entries",
    help: "Answers held in this replica's memory for the replay window.",
    registers,
    collect() {
      this.set(size());
    },
  });
  return {
    store,
    answered: (how) => answered.inc({ how }),
    tookOver: () => tookOver.inc(),
    entries(read) {
      size = read;
    },
  };
}
