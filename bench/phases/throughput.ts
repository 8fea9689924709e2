/**
 * Phases 1 and 2: every target answers one refresh with the right bytes through one provider
 * call; then a warm-up per target and `rounds` rounds of closed-loop load, interleaved (see
 * roundOrder), with the provider at 0 ms.
 */
import type { Answer } from "../drivers.ts";
import type { TokenPair } from "../fake/fake-cognito.ts";
import { median, percentile } from "../load/stats.ts";
import { token } from "../load/tokens.ts";
import { cpuRatio, rpsRatio } from "../paired.ts";
import type { RoundResult, TargetResult } from "../result.ts";
import { restBody } from "../servers/bytes.ts";
import type { Protocol, Target } from "../targets.ts";
import { type BenchContext, round2, sleep } from "./context.ts";

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

async function checkAll(context: BenchContext): Promise<Map<string, number>> {
  const { fake, fakeStats, targets, driver } = context;
  const pairs = await fake.request<TokenPair[]>("pairs");
  const calls = new Map<string, number>();
  for (const target of targets) {
    const before = await fakeStats();
    const answer = await driver(target).one(token(`check-${target.id}`));
    const after = await fakeStats();
    if (!expectedAnswer(target.protocol, answer, pairs)) {
      throw new Error(
        `${target.id} answered a refresh with unexpected bytes: ${JSON.stringify(answer).slice(0, 300)}`,
      );
    }
    calls.set(target.id, after.calls - before.calls);
  }
  context.options.log("every target answers with the same bytes");
  return calls;
}

async function oneRound(context: BenchContext, target: Target, r: number): Promise<RoundResult> {
  const { options, fakeStats, server, driver } = context;
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
  return {
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
    gcPercent: round2((u1.gc.totalMs / run.elapsedMs) * 100),
  };
}

/**
 * The order of round `r`: targets stay in their protocol's group (every comparison the report
 * makes is within one, and a target's "before" is next to it), each round starts one group
 * further along, and every other round runs each group backwards. So what is compared always
 * runs back to back, in both orders, and no group always runs first or last.
 */
export function roundOrder(targets: readonly Target[], r: number): Target[] {
  const groups: Target[][] = [];
  for (const target of targets) {
    const last = groups.at(-1);
    if (last && last[0]?.protocol === target.protocol) last.push(target);
    else groups.push([target]);
  }
  return groups
    .map((_, i) => groups[(i + r) % groups.length] as Target[])
    .flatMap((group) => (r % 2 === 1 ? [...group].reverse() : group));
}

export async function throughput(context: BenchContext): Promise<TargetResult[]> {
  const { options, targets, fakeStats, server, driver } = context;
  const { log } = options;
  const checkCalls = await checkAll(context);
  const warmupConnections = new Map<string, number>();
  for (const target of targets) {
    const before = await fakeStats();
    await driver(target).closed(options.warmupMs, options.concurrency, `warm-${target.id}-`);
    warmupConnections.set(target.id, (await fakeStats()).connections - before.connections);
  }
  const rounds = new Map<string, RoundResult[]>(targets.map((target) => [target.id, []]));
  for (let r = 0; r < options.rounds; r++) {
    for (const target of roundOrder(targets, r)) {
      const result = await oneRound(context, target, r);
      rounds.get(target.id)?.push(result);
      log(
        `round ${r + 1}/${options.rounds} ${target.id}: ${Math.round(result.rps)} req/s, ` +
          `${Math.round(result.cpuUsPerRequest)} µs CPU/req, p99 ${result.p99Ms.toFixed(1)} ms` +
          (result.failed ? `, ${result.failed} failed` : ""),
      );
    }
  }
  const peakRss = new Map<string, number>();
  for (const target of targets) {
    peakRss.set(target.id, (await server(target).usage()).maxRssBytes);
  }
  const results: TargetResult[] = targets.map((target) => {
    const own = rounds.get(target.id) ?? [];
    const pick = (key: keyof RoundResult) => median(own.map((round) => round[key]));
    return {
      id: target.id,
      label: target.label,
      protocol: target.protocol,
      server: target.server,
      raw: target.raw,
      service: target.service,
      variant: target.variant ?? "after",
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
      result.vsRaw = { rps: round2(rpsRatio(result, raw)), cpu: round2(cpuRatio(result, raw)) };
    }
  }
  return results;
}
