/**
 * The benchmark: the fake and every server under test in their own processes (servers pinned
 * to core 0, the fake and the load generator to the other cores), then, in order:
 *   1. a check that every target answers one refresh with the right bytes and one provider call;
 *   2. a warm-up per target, then `rounds` rounds of closed-loop load, interleaved (each round
 *      visits every target; what is compared runs back to back, see roundOrder), with the
 *      provider at 0 ms: req/s, p50/p99, server CPU µs per request, peak RSS; medians over
 *      rounds, and comparisons as medians of round-by-round ratios (paired.ts);
 *   2b. CPU per request side by side: the servers of each compared pair driven flat out at
 *      the same time, sharing the core (phases/side-by-side.ts);
 *   3. added latency: open loop at 50 % of each target's measured req/s with a 20 ms provider,
 *      response time minus the fake's own hold time for that very request;
 *   4. upstream efficiency: provider calls per refresh, N identical concurrent refreshes, and
 *      connections opened to the provider during the steady runs;
 *   5. cold start to ready of `node src/main.ts`, without and with the embedded emulator.
 * With `before` (another checkout, e.g. a `git worktree` of the commit before a change), every
 * target also runs that checkout's src/ under the same glue, interleaved with this one's.
 */
import { cpus } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Child, hasTaskset, killAll, pinSelf, spawnChild } from "./children.ts";
import { baseEnv, coldStarts } from "./cold-start.ts";
import { createDriver, type Driver, LOAD_CLIENTS } from "./drivers.ts";
import type { FakeStats } from "./fake/fake-cognito.ts";
import { commit, machine } from "./machine.ts";
import type { BenchContext, PhaseOptions } from "./phases/context.ts";
import { addedLatency } from "./phases/latency.ts";
import { replay } from "./phases/replay.ts";
import { sideBySide } from "./phases/side-by-side.ts";
import { throughput } from "./phases/throughput.ts";
import { upstream } from "./phases/upstream.ts";
import type { BenchResult } from "./result.ts";
import { TARGETS, type Target, withBefore } from "./targets.ts";

export type {
  BenchResult,
  LatencyResult,
  LatencyRound,
  RoundResult,
  SideBySide,
  TargetResult,
  Upstream,
} from "./result.ts";

const FAKE = fileURLToPath(new URL("./fake/fake-cognito.ts", import.meta.url));
const SERVER = fileURLToPath(new URL("./servers/entry.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface BenchOptions extends PhaseOptions {
  coldStartRuns: number;
  /** Cold starts with the embedded emulator too (a few seconds each). */
  emulator: boolean;
  /** Target ids; all when empty. */
  targets: readonly string[];
  /** Pin servers and load to different cores when taskset exists and there are two or more. */
  pin: boolean;
  /** Another checkout whose src/ runs as the "before" of every target. */
  before?: string | undefined;
  /**
   * Node options for every server under test and every cold start, e.g. the V8 heap sizes a
   * deployment's memory limit would give (node sizes its heap from the machine's memory).
   */
  nodeFlags?: readonly string[] | undefined;
}

export const FULL: Omit<BenchOptions, "log"> = {
  durationMs: 3000,
  warmupMs: 5000,
  rounds: 4,
  concurrency: 32,
  providerLatencyMs: 20,
  latencyLoad: 0.5,
  latencyDurationMs: 3000,
  latencyRounds: 3,
  coalesceN: 32,
  coalesceLatencyMs: 100,
  soakRefreshes: 200_000,
  coldStartRuns: 10,
  emulator: true,
  targets: [],
  pin: true,
};

export const QUICK: Omit<BenchOptions, "log"> = {
  ...FULL,
  durationMs: 1000,
  warmupMs: 1000,
  rounds: 2,
  latencyDurationMs: 1000,
  latencyRounds: 1,
  soakRefreshes: 20_000,
  coldStartRuns: 3,
};

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { log } = options;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const git = commit(ROOT);
  const beforeRoot = options.before ? resolve(options.before) : undefined;
  // Before pinning: pinned, this process sees only its own cores.
  const host = machine();
  const cores = cpus().length;
  const pin = options.pin && cores >= 2 && hasTaskset();
  const serverCpus = pin ? "0" : undefined;
  const loadCpus = pin ? (cores === 2 ? "1" : `1-${cores - 1}`) : undefined;
  if (pin && loadCpus && !pinSelf(loadCpus)) {
    throw new Error("taskset could not pin the runner");
  }
  log(
    pin
      ? `servers pinned to CPU ${serverCpus}; load generator and fake to CPU ${loadCpus}`
      : "not pinned (taskset missing, one core, or --no-pin)",
  );
  const chosen = TARGETS.filter(
    (target) => options.targets.length === 0 || options.targets.includes(target.id),
  );
  if (chosen.length === 0) {
    throw new Error(`no such targets: ${options.targets.join(", ")}`);
  }
  const selected = withBefore(chosen, beforeRoot);
  const children: Child[] = [];
  const drivers = new Map<string, Driver>();
  try {
    const fake = await spawnChild(FAKE, { name: "fake", env: baseEnv(), cpus: loadCpus });
    children.push(fake);
    const fakeEnv = fake.ready.env as Record<string, string>;
    const servers = new Map<string, Child>();
    await Promise.all(
      selected.map(async (target) => {
        const child = await spawnChild(SERVER, {
          name: target.id,
          args: [target.server],
          env: {
            ...baseEnv(),
            ...fakeEnv,
            ...(target.srcRoot ? { BENCH_SRC_ROOT: target.srcRoot } : {}),
          },
          cpus: serverCpus,
          execArgv: [...(options.nodeFlags ?? [])],
        });
        children.push(child);
        servers.set(target.id, child);
        drivers.set(target.id, createDriver(target.protocol, child.ready.port as number));
      }),
    );
    log(`started the fake and ${selected.length} servers`);
    const context: BenchContext = {
      options,
      targets: selected,
      fake,
      fakeStats: (reset = false) => fake.request<FakeStats>("stats", { reset }),
      server: (target: Target) => servers.get(target.id) as Child,
      driver: (target: Target) => drivers.get(target.id) as Driver,
    };

    const results = await throughput(context);
    const paired = await sideBySide(context, results);
    const latency = await addedLatency(context, results);
    const upstreamResult = await upstream(context, results);
    const replayResult =
      options.soakRefreshes > 0 ? await replay(context, fakeEnv, options.soakRefreshes) : undefined;
    await fake.request("latency", { ms: 0 });
    for (const each of drivers.values()) each.close();
    drivers.clear();
    await Promise.all([...servers.values()].map((child) => child.stop()));

    const roots = beforeRoot ? [ROOT, beforeRoot] : [ROOT];
    const [coldStart, coldStartBefore] =
      options.coldStartRuns > 0
        ? await coldStarts({
            env: { ...baseEnv(), ...fakeEnv },
            cpus: serverCpus,
            runs: options.coldStartRuns,
            emulator: options.emulator,
            roots,
            nodeFlags: options.nodeFlags ?? [],
            log,
          })
        : [];
    await fake.stop();
    return {
      schema: 1,
      startedAt,
      elapsedSeconds: Math.round((performance.now() - started) / 1000),
      machine: host,
      git,
      before: beforeRoot ? { dir: beforeRoot, git: commit(beforeRoot) } : undefined,
      pinning: pin ? { server: serverCpus ?? "", load: loadCpus ?? "" } : null,
      loadClients: LOAD_CLIENTS,
      options: (({ log: _log, ...rest }) => rest)(options),
      targets: results,
      sideBySide: paired,
      addedLatency: latency,
      upstream: upstreamResult,
      replay: replayResult,
      coldStart: coldStart ?? { withoutEmulator: { runs: 0, samplesMs: [], medianMs: Number.NaN } },
      coldStartBefore,
    };
  } finally {
    for (const each of drivers.values()) each.close();
    await Promise.allSettled(children.map((child) => child.stop()));
    killAll();
  }
}
