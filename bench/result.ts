/** The shape of a bench run's JSON (bench/results/*.json); additions only, so schema stays 1. */
import type { ColdStarts } from "./cold-start.ts";
import type { BenchOptions } from "./harness.ts";
import type { Commit, Machine } from "./machine.ts";
import type { ReplayResult } from "./phases/replay.ts";
import type { Protocol } from "./targets.ts";

export interface RoundResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  ok: number;
  failed: number;
  /** Requests sent: the ones still in flight when a run's time was up included. */
  sent: number;
  providerCalls: number;
  /** Distinct refresh tokens among those calls. */
  refreshes: number;
  providerCallsPerRefresh: number;
  /** New connections to the provider over the whole run, and over its middle 60 %. */
  connectionsOpened: number;
  connectionsOpenedSteady: number;
  /** The server's garbage collection time as a share of the run's wall time. */
  gcPercent: number;
}

export interface TargetResult {
  id: string;
  label: string;
  protocol: Protocol;
  server: string;
  raw: string | undefined;
  service: boolean;
  /** "before" when the target ran another checkout's src/ (`--before`). */
  variant: "after" | "before";
  /** Medians over rounds. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  peakRssMiB: number;
  failed: number;
  /**
   * req/s and CPU per request as a ratio to the raw baseline's (of the same variant): the
   * median of the round-by-round ratios (see paired.ts).
   */
  vsRaw: { rps: number; cpu: number } | undefined;
  /** Provider calls for one checked refresh. */
  checkProviderCalls: number;
  warmupConnections: number;
  rounds: RoundResult[];
}

/** Two servers' CPU per request, measured over the same seconds (see phases/side-by-side.ts). */
export interface SideBySide {
  a: string;
  b: string;
  /** Open-loop req/s each got: LOAD of the slower one's closed-loop req/s. */
  ratePerSecond: number;
  aCpuUsPerRequest: number;
  bCpuUsPerRequest: number;
  /** Medians over repetitions of a − b and a / b. */
  extraUs: number;
  ratio: number;
}

export interface LatencyRound {
  sent: number;
  failed: number;
  /** Response time minus the provider's hold time of that same request. */
  addedP50Ms: number;
  addedP99Ms: number;
  responseP50Ms: number;
  responseP99Ms: number;
  /** The fake's own hold time (20 ms plus its timer's and event loop's lateness). */
  providerP50Ms: number;
  providerP99Ms: number;
  /** The longest the server's event loop was held up during the run (GC, JIT, long tasks). */
  serverLoopDelayMaxMs: number;
  /** The server's longest garbage collection pause, and how many it had. */
  serverGcMaxMs: number;
  serverGcCount: number;
  /**
   * The same for the load generator and the fake, whose stalls land in "added" too: a stall
   * there is the measurement's, not the server's.
   */
  clientLoopDelayMaxMs: number;
  fakeLoopDelayMaxMs: number;
}

export interface LatencyResult extends Omit<LatencyRound, "sent" | "failed"> {
  id: string;
  label: string;
  variant: "after" | "before";
  ratePerSecond: number;
  sent: number;
  failed: number;
  /** The figures above are medians over these. */
  rounds: LatencyRound[];
}

export interface Upstream {
  /** Provider calls for one refresh, per target (from the checks). */
  callsPerRefresh: Record<string, number>;
  /** Over the measured runs: provider calls / distinct refresh tokens the provider saw. */
  steadyCallsPerRefresh: Record<string, number>;
  coalesced:
    | { n: number; ok: number; providerCalls: number; providerLatencyMs: number; over: string }
    | undefined;
  /** New connections to the provider in the middle 60 % of the measured runs, per target. */
  connectionsDuringSteadyRuns: Record<string, number>;
  /** ... and over the whole measured runs (starts and ends included). */
  connectionsDuringMeasuredRuns: Record<string, number>;
  /** New connections during each target's warm-up (the pool filling). */
  connectionsDuringWarmup: Record<string, number>;
}

export interface BenchResult {
  schema: 1;
  startedAt: string;
  elapsedSeconds: number;
  machine: Machine;
  git: Commit;
  /** The other checkout the "before" targets ran (`--before <dir>`), when there was one. */
  before?: { dir: string; git: Commit } | undefined;
  pinning: { server: string; load: string } | null;
  loadClients: Record<Protocol, string>;
  options: Omit<BenchOptions, "log">;
  targets: TargetResult[];
  sideBySide: SideBySide[];
  addedLatency: LatencyResult[];
  upstream: Upstream;
  /** The refresh replay's tabs and soak (absent in results from before it). */
  replay?: ReplayResult | undefined;
  coldStart: ColdStarts;
  /** Cold starts of the "before" checkout, interleaved with these. */
  coldStartBefore?: ColdStarts | undefined;
}
