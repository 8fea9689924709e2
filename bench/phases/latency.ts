/**
 * Phase 3, added latency: open loop at a share of each target's measured req/s, with a slow
 * provider, interleaved rounds (in the same order as the throughput rounds). Added = response time − the fake's hold time for that very
 * request. Beside it, the stalls of the three processes involved: a stall of the load
 * generator or the fake lands in "added" as much as one of the server, but is not the server's.
 */
import { usage } from "../children.ts";
import { median, percentile } from "../load/stats.ts";
import type { LatencyResult, LatencyRound, TargetResult } from "../result.ts";
import type { Target } from "../targets.ts";
import { type BenchContext, round2 } from "./context.ts";
import { roundOrder } from "./throughput.ts";

/** The targets whose added latency is measured: the service's, and the raw baselines. */
export function latencyTargets(targets: readonly Target[]): Target[] {
  return targets.filter((target) => target.service || target.server.startsWith("raw-"));
}

export async function addedLatency(
  context: BenchContext,
  measured: readonly TargetResult[],
): Promise<LatencyResult[]> {
  const { options, fake, server, driver } = context;
  await fake.request("latency", { ms: options.providerLatencyMs });
  const selected = latencyTargets(context.targets);
  const rateOf = (target: Target) =>
    Math.max(
      1,
      Math.round((measured.find((r) => r.id === target.id)?.rps ?? 0) * options.latencyLoad),
    );
  for (const target of selected) {
    await driver(target).open(
      rateOf(target),
      Math.min(1000, options.latencyDurationMs),
      `lw-${target.id}-`,
    );
  }
  const rounds = new Map<string, LatencyRound[]>(selected.map((t) => [t.id, []]));
  for (let r = 0; r < options.latencyRounds; r++) {
    for (const target of roundOrder(selected, r)) {
      const rate = rateOf(target);
      const tag = `lat${r}-${target.id}-`;
      await Promise.all([server(target).usage(), fake.usage(), fake.request("record")]);
      usage();
      const run = await driver(target).open(rate, options.latencyDurationMs, tag);
      const client = usage();
      const [held, serverUsage, fakeUsage] = await Promise.all([
        fake.request<[string, number][]>("recorded").then((entries) => new Map(entries)),
        server(target).usage(),
        fake.usage(),
      ]);
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
        serverLoopDelayMaxMs: round2(serverUsage.loopDelayMs.max),
        serverGcMaxMs: round2(serverUsage.gc.maxMs),
        serverGcCount: serverUsage.gc.count,
        clientLoopDelayMaxMs: round2(client.loopDelayMs.max),
        fakeLoopDelayMaxMs: round2(fakeUsage.loopDelayMs.max),
      };
      rounds.get(target.id)?.push(round);
      options.log(
        `latency round ${r + 1}/${options.latencyRounds} ${target.id} at ${rate} req/s: ` +
          `added p50 ${round.addedP50Ms} ms, p99 ${round.addedP99Ms} ms; stalls: server ` +
          `${round.serverLoopDelayMaxMs} ms (GC max ${round.serverGcMaxMs} ms), load ` +
          `${round.clientLoopDelayMaxMs} ms, fake ${round.fakeLoopDelayMaxMs} ms`,
      );
    }
  }
  return selected.map((target) => {
    const own = rounds.get(target.id) ?? [];
    const pick = (key: keyof LatencyRound) => round2(median(own.map((round) => round[key])));
    return {
      id: target.id,
      label: target.label,
      variant: target.variant ?? "after",
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
      serverGcMaxMs: pick("serverGcMaxMs"),
      serverGcCount: pick("serverGcCount"),
      clientLoopDelayMaxMs: pick("clientLoopDelayMaxMs"),
      fakeLoopDelayMaxMs: pick("fakeLoopDelayMaxMs"),
      rounds: own,
    };
  });
}
