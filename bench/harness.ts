/**
 * The benchmark: the fake and every server under test in their own processes (servers pinned
 * to core 0, the fake and the load generator to the other cores), then, in order:
 *   1. a check that every target answers one refresh with the right bytes and one provider call;
 *   2. a warm-up per target, then `rounds` rounds of closed-loop load, interleaved (each round
 *      visits every target, starting one further along), with the provider at 0 ms: req/s,
 *      p50/p99, server CPU µs per request, peak RSS; medians over rounds;
 *   3. added latency: open loop at 50 % of each target's measured req/s with a 20 ms provider,
 *      response time minus the fake's own hold time for that very request;
 *   4. upstream efficiency: provider calls per refresh, N identical concurrent refreshes, and
 *      connections opened to the provider during the steady runs;
 *   5. cold start to ready of `node src/main.ts`, without and with the embedded emulator.
 */
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { type Child, hasTaskset, killAll, pinSelf, spawnChild } from "./children.ts";
import { baseEnv, type ColdStarts, coldStartOnce, emulatorStarts } from "./cold-start.ts";
import { type Answer, createDriver, type Driver, LOAD_CLIENTS } from "./drivers.ts";
import type { FakeStats, TokenPair } from "./fake/fake-cognito.ts";
import { grpcJsClient, http1Client } from "./load/rpc-clients.ts";
import { median, percentile } from "./load/stats.ts";
import { token } from "./load/tokens.ts";
import { type Commit, commit, type Machine, machine } from "./machine.ts";
import { REST_PATH, restBody } from "./servers/bytes.ts";
import { type Protocol, TARGETS, type Target } from "./targets.ts";

const FAKE = fileURLToPath(new URL("./fake/fake-cognito.ts", import.meta.url));
const SERVER = fileURLToPath(new URL("./servers/entry.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface BenchOptions {
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
  coldStartRuns: number;
  /** Cold starts with the embedded emulator too (a few seconds each). */
  emulator: boolean;
  /** Target ids; all when empty. */
  targets: readonly string[];
  /** Pin servers and load to different cores when taskset exists and there are two or more. */
  pin: boolean;
  log: (line: string) => void;
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
  coldStartRuns: 3,
};

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
}

export interface TargetResult {
  id: string;
  label: string;
  protocol: Protocol;
  server: string;
  raw: string | undefined;
  service: boolean;
  /** Medians over rounds. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  peakRssMiB: number;
  failed: number;
  /** req/s and CPU per request as a ratio to the raw baseline's. */
  vsRaw: { rps: number; cpu: number } | undefined;
  /** Provider calls for one checked refresh. */
  checkProviderCalls: number;
  warmupConnections: number;
  rounds: RoundResult[];
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
}

export interface LatencyResult extends Omit<LatencyRound, "sent" | "failed"> {
  id: string;
  label: string;
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
  pinning: { server: string; load: string } | null;
  loadClients: Record<Protocol, string>;
  options: Omit<BenchOptions, "log">;
  targets: TargetResult[];
  addedLatency: LatencyResult[];
  upstream: Upstream;
  coldStart: ColdStarts;
}

function expectedAnswer(protocol: Protocol, answer: Answer, pairs: TokenPair[]): boolean {
  const tokens = (pair: TokenPair) => ({
    accessToken: pair.accessToken,
    idToken: pair.idToken,
    expiresIn: 3600,
    tokenType: "Bearer" as const,
  });
  if (answer.kind === "json") {
    const expected = (pair: TokenPair) =>
      protocol === "rest-h1" ? restBody(tokens(pair)) : JSON.stringify(tokens(pair));
    return answer.status === 200 && pairs.some((pair) => answer.body === expected(pair));
  }
  const { message } = answer;
  return pairs.some(
    (pair) =>
      message.accessToken === pair.accessToken &&
      message.idToken === pair.idToken &&
      message.expiresIn === 3600 &&
      message.tokenType === "Bearer" &&
      message.refreshToken === "",
  );
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { log } = options;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const git = commit(ROOT);
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
  const selected = TARGETS.filter(
    (target) => options.targets.length === 0 || options.targets.includes(target.id),
  );
  if (selected.length === 0) {
    throw new Error(`no such targets: ${options.targets.join(", ")}`);
  }
  const children: Child[] = [];
  const drivers = new Map<string, Driver>();
  try {
    const fake = await spawnChild(FAKE, { name: "fake", env: baseEnv(), cpus: loadCpus });
    children.push(fake);
    const fakeEnv = fake.ready.env as Record<string, string>;
    const fakeStats = (reset = false) => fake.request<FakeStats>("stats", { reset });
    const servers = new Map<string, Child>();
    await Promise.all(
      selected.map(async (target) => {
        const child = await spawnChild(SERVER, {
          name: target.id,
          args: [target.server],
          env: { ...baseEnv(), ...fakeEnv },
          cpus: serverCpus,
        });
        children.push(child);
        servers.set(target.id, child);
        drivers.set(target.id, createDriver(target.protocol, child.ready.port as number));
      }),
    );
    const server = (target: Target) => servers.get(target.id) as Child;
    const driver = (target: Target) => drivers.get(target.id) as Driver;
    log(`started the fake and ${selected.length} servers`);

    // 1. Every target answers a refresh with the expected bytes, through one provider call.
    const pairs = await fake.request<TokenPair[]>("pairs");
    const checkCalls = new Map<string, number>();
    for (const target of selected) {
      const before = await fakeStats();
      const answer = await driver(target).one(token(`check-${target.id}`));
      const after = await fakeStats();
      if (!expectedAnswer(target.protocol, answer, pairs)) {
        throw new Error(`${target.id} answered a refresh with unexpected bytes`);
      }
      checkCalls.set(target.id, after.calls - before.calls);
    }
    log("every target answers with the same bytes");

    // 2. Warm-up, then interleaved rounds.
    const warmupConnections = new Map<string, number>();
    for (const target of selected) {
      const before = await fakeStats();
      await driver(target).closed(options.warmupMs, options.concurrency, `warm-${target.id}-`);
      warmupConnections.set(target.id, (await fakeStats()).connections - before.connections);
    }
    const rounds = new Map<string, RoundResult[]>(selected.map((target) => [target.id, []]));
    for (let r = 0; r < options.rounds; r++) {
      for (let i = 0; i < selected.length; i++) {
        const target = selected[(i + r) % selected.length] as Target;
        const [u0, f0] = await Promise.all([server(target).usage(), fakeStats(true)]);
        // Connections the provider sees opened in the middle 60 % of the run: the steady state,
        // without the start (pools refilling) or the end (autocannon abandons the requests it
        // has in flight when its time is up).
        const steady = (async () => {
          await sleep(options.durationMs * 0.2);
          const from = await fakeStats();
          await sleep(options.durationMs * 0.6);
          return (await fakeStats()).connections - from.connections;
        })();
        const [run, steadyConnections] = await Promise.all([
          driver(target).closed(options.durationMs, options.concurrency, `r${r}-${target.id}-`),
          steady,
        ]);
        const [u1, f1] = await Promise.all([server(target).usage(), fakeStats(true)]);
        const result: RoundResult = {
          rps: run.ok / (run.elapsedMs / 1000),
          p50Ms: percentile(run.latenciesMs, 50),
          p99Ms: percentile(run.latenciesMs, 99),
          cpuUsPerRequest: (u1.cpuUs - u0.cpuUs) / Math.max(1, run.sent),
          ok: run.ok,
          failed: run.failed,
          sent: run.sent,
          providerCalls: f1.calls - f0.calls,
          refreshes: f1.distinctTokens,
          providerCallsPerRefresh: (f1.calls - f0.calls) / Math.max(1, f1.distinctTokens),
          connectionsOpened: f1.connections - f0.connections,
          connectionsOpenedSteady: steadyConnections,
        };
        rounds.get(target.id)?.push(result);
        log(
          `round ${r + 1}/${options.rounds} ${target.id}: ${Math.round(result.rps)} req/s, ` +
            `${Math.round(result.cpuUsPerRequest)} µs CPU/req, p99 ${result.p99Ms.toFixed(1)} ms` +
            (run.failed ? `, ${run.failed} failed` : ""),
        );
      }
    }
    const peakRss = new Map<string, number>();
    for (const target of selected) {
      peakRss.set(target.id, (await server(target).usage()).maxRssBytes);
    }
    const results: TargetResult[] = selected.map((target) => {
      const own = rounds.get(target.id) ?? [];
      const pick = (key: keyof RoundResult) => median(own.map((round) => round[key]));
      return {
        id: target.id,
        label: target.label,
        protocol: target.protocol,
        server: target.server,
        raw: target.raw,
        service: target.service,
        rps: Math.round(pick("rps")),
        p50Ms: round2(pick("p50Ms")),
        p99Ms: round2(pick("p99Ms")),
        cpuUsPerRequest: Math.round(pick("cpuUsPerRequest")),
        peakRssMiB: Math.round((peakRss.get(target.id) ?? 0) / 2 ** 20),
        failed: own.reduce((sum, round) => sum + round.failed, 0),
        vsRaw: undefined,
        checkProviderCalls: checkCalls.get(target.id) ?? 0,
        warmupConnections: warmupConnections.get(target.id) ?? 0,
        rounds: own.map((round) => ({
          ...round,
          rps: Math.round(round.rps),
          p50Ms: round2(round.p50Ms),
          p99Ms: round2(round.p99Ms),
          cpuUsPerRequest: Math.round(round.cpuUsPerRequest),
          providerCallsPerRefresh: round2(round.providerCallsPerRefresh),
        })),
      };
    });
    for (const result of results) {
      const raw = results.find((other) => other.id === (result.raw ?? result.id));
      if (raw) {
        result.vsRaw = {
          rps: round2(result.rps / raw.rps),
          cpu: round2(result.cpuUsPerRequest / raw.cpuUsPerRequest),
        };
      }
    }

    // 3. Added latency at a share of measured capacity, with a slow provider; interleaved rounds.
    await fake.request("latency", { ms: options.providerLatencyMs });
    const latencyTargets = selected.filter(
      (target) => target.service || target.id === "raw-http" || target.id === "raw-http2",
    );
    const rateOf = (target: Target) =>
      Math.max(
        1,
        Math.round((results.find((r) => r.id === target.id)?.rps ?? 0) * options.latencyLoad),
      );
    for (const target of latencyTargets) {
      await driver(target).open(
        rateOf(target),
        Math.min(1000, options.latencyDurationMs),
        `lw-${target.id}-`,
      );
    }
    const latencyRounds = new Map<string, LatencyRound[]>(latencyTargets.map((t) => [t.id, []]));
    for (let r = 0; r < options.latencyRounds; r++) {
      for (let i = 0; i < latencyTargets.length; i++) {
        const target = latencyTargets[(i + r) % latencyTargets.length] as Target;
        const rate = rateOf(target);
        const tag = `lat${r}-${target.id}-`;
        await server(target).usage();
        await fake.request("record");
        const run = await driver(target).open(rate, options.latencyDurationMs, tag);
        const held = new Map(await fake.request<[string, number][]>("recorded"));
        const { loopDelayMs } = await server(target).usage();
        const added: number[] = [];
        const provider: number[] = [];
        for (let seq = 0; seq < run.sent; seq++) {
          const response = run.bySeq[seq] as number;
          const hold = held.get(`${tag}${seq}`);
          if (Number.isFinite(response) && hold !== undefined) {
            added.push(response - hold);
            provider.push(hold);
          }
        }
        const round: LatencyRound = {
          sent: run.sent,
          failed: run.failed,
          addedP50Ms: round2(percentile(added, 50)),
          addedP99Ms: round2(percentile(added, 99)),
          responseP50Ms: round2(percentile(run.latenciesMs, 50)),
          responseP99Ms: round2(percentile(run.latenciesMs, 99)),
          providerP50Ms: round2(percentile(provider, 50)),
          providerP99Ms: round2(percentile(provider, 99)),
          serverLoopDelayMaxMs: round2(loopDelayMs.max),
        };
        latencyRounds.get(target.id)?.push(round);
        log(
          `latency round ${r + 1}/${options.latencyRounds} ${target.id} at ${rate} req/s: ` +
            `added p50 ${round.addedP50Ms} ms, p99 ${round.addedP99Ms} ms`,
        );
      }
    }
    const addedLatency: LatencyResult[] = latencyTargets.map((target) => {
      const own = latencyRounds.get(target.id) ?? [];
      const pick = (key: keyof LatencyRound) => round2(median(own.map((round) => round[key])));
      return {
        id: target.id,
        label: target.label,
        ratePerSecond: rateOf(target),
        sent: own.reduce((sum, round) => sum + round.sent, 0),
        failed: own.reduce((sum, round) => sum + round.failed, 0),
        addedP50Ms: pick("addedP50Ms"),
        addedP99Ms: pick("addedP99Ms"),
        responseP50Ms: pick("responseP50Ms"),
        responseP99Ms: pick("responseP99Ms"),
        providerP50Ms: pick("providerP50Ms"),
        providerP99Ms: pick("providerP99Ms"),
        serverLoopDelayMaxMs: pick("serverLoopDelayMaxMs"),
        rounds: own,
      };
    });

    // 4. Identical concurrent refreshes (half REST, half gRPC, one service process): one call.
    const serviceTarget = selected.find((target) => target.service);
    let coalesced: Upstream["coalesced"];
    if (serviceTarget) {
      await fake.request("latency", { ms: options.coalesceLatencyMs });
      const port = server(serviceTarget).ready.port as number;
      const rest = http1Client(`http://127.0.0.1:${port}`, options.coalesceN);
      const grpc = grpcJsClient(port);
      const same = token("coalesce-1");
      const before = await fakeStats();
      const answers = await Promise.allSettled(
        Array.from({ length: options.coalesceN }, (_, i) =>
          i % 2 === 0
            ? rest
                .post(REST_PATH, JSON.stringify({ refresh_token: same }), {
                  "content-type": "application/json",
                })
                .then(({ status }) => {
                  if (status !== 200) throw new Error(`status ${status}`);
                })
            : grpc.call(same),
        ),
      );
      const after = await fakeStats();
      rest.close();
      grpc.close();
      coalesced = {
        n: options.coalesceN,
        ok: answers.filter((answer) => answer.status === "fulfilled").length,
        providerCalls: after.calls - before.calls,
        providerLatencyMs: options.coalesceLatencyMs,
        over: "half REST (HTTP/1.1), half gRPC (h2c), at once, to one service process",
      };
      log(
        `${coalesced.n} identical concurrent refreshes: ${coalesced.providerCalls} provider call(s)`,
      );
    }
    await fake.request("latency", { ms: 0 });
    const upstream: Upstream = {
      callsPerRefresh: Object.fromEntries(results.map((r) => [r.id, r.checkProviderCalls])),
      steadyCallsPerRefresh: Object.fromEntries(
        results.map((r) => [
          r.id,
          round2(
            r.rounds.reduce((sum, round) => sum + round.providerCalls, 0) /
              Math.max(
                1,
                r.rounds.reduce((sum, round) => sum + round.refreshes, 0),
              ),
          ),
        ]),
      ),
      coalesced,
      connectionsDuringSteadyRuns: Object.fromEntries(
        results.map((r) => [
          r.id,
          r.rounds.reduce((sum, round) => sum + round.connectionsOpenedSteady, 0),
        ]),
      ),
      connectionsDuringMeasuredRuns: Object.fromEntries(
        results.map((r) => [
          r.id,
          r.rounds.reduce((sum, round) => sum + round.connectionsOpened, 0),
        ]),
      ),
      connectionsDuringWarmup: Object.fromEntries(results.map((r) => [r.id, r.warmupConnections])),
    };
    for (const each of drivers.values()) each.close();
    drivers.clear();
    await Promise.all([...servers.values()].map((child) => child.stop()));

    // 5. Cold start to ready.
    const coldStart: ColdStarts = {
      withoutEmulator: { runs: 0, samplesMs: [], medianMs: Number.NaN },
    };
    if (options.coldStartRuns > 0) {
      const samples: number[] = [];
      for (let i = 0; i < options.coldStartRuns; i++) {
        samples.push(await coldStartOnce({ ...baseEnv(), ...fakeEnv }, serverCpus));
      }
      coldStart.withoutEmulator = {
        runs: samples.length,
        samplesMs: samples.map(Math.round),
        medianMs: Math.round(median(samples)),
      };
      log(`cold start without the emulator: median ${coldStart.withoutEmulator.medianMs} ms`);
      if (options.emulator) {
        const withEmulator = await emulatorStarts(options.coldStartRuns + 1, serverCpus);
        const [first = Number.NaN, ...rest] = withEmulator;
        coldStart.withEmulator = {
          runs: rest.length,
          samplesMs: rest.map(Math.round),
          medianMs: Math.round(median(rest)),
          firstMs: Math.round(first),
        };
        log(`cold start with the emulator: median ${coldStart.withEmulator.medianMs} ms`);
      }
    }
    await fake.stop();
    return {
      schema: 1,
      startedAt,
      elapsedSeconds: Math.round((performance.now() - started) / 1000),
      machine: host,
      git,
      pinning: pin ? { server: serverCpus ?? "", load: loadCpus ?? "" } : null,
      loadClients: LOAD_CLIENTS,
      options: (({ log: _log, ...rest }) => rest)(options),
      targets: results,
      addedLatency,
      upstream,
      coldStart,
    };
  } finally {
    for (const each of drivers.values()) each.close();
    await Promise.allSettled(children.map((child) => child.stop()));
    killAll();
  }
}
