/** What every phase of a bench run works with: the fake, the servers, their drivers. */
import type { Child } from "../children.ts";
import type { Driver } from "../drivers.ts";
import type { FakeStats } from "../fake/fake-cognito.ts";
import type { Target } from "../targets.ts";

export interface PhaseOptions {
  /** One measured run of one target. */
  durationMs: number;
  /** Per target, before the first round. */
  warmupMs: number;
  rounds: number;
  /** Connections (HTTP/1.1) or streams on one connection (HTTP/2) in flight. */
  concurrency: number;
  /** The provider's fixed latency for the added-latency runs. */
  providerLatencyMs: number;
  /** Share of measured capacity for the added-latency runs. */
  latencyLoad: number;
  /** One added-latency run of one target. */
  latencyDurationMs: number;
  latencyRounds: number;
  coalesceN: number;
  /** The provider's latency while they are sent: the window in which they are "together". */
  coalesceLatencyMs: number;
  /** Refreshes in the replay's soak; 0 leaves the replay phase out. */
  soakRefreshes: number;
  log: (line: string) => void;
}

export interface BenchContext {
  options: PhaseOptions;
  /** In run order: each target followed by its "before" copy, when there is one. */
  targets: readonly Target[];
  fake: Child;
  fakeStats(reset?: boolean): Promise<FakeStats>;
  server(target: Target): Child;
  driver(target: Target): Driver;
}

export const round2 = (value: number) => Math.round(value * 100) / 100;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
