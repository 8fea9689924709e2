/**
 * Phase 2b, CPU per request side by side: the two servers of a pair take the same open-loop
 * rate at the same time, sharing the one core, and each one's CPU time is divided by its own
 * requests. On a shared host whose speed drifts by 2× within seconds, runs one after the
 * other (even back to back) disagree by ±20 %; two processes measured over the same seconds
 * see the same machine. The same rate for both, not both flat out: a server starved of the
 * core would batch more requests per wake-up and look cheaper than it is. Requests cost more
 * CPU at this load than flat out (less batching, colder caches), for both alike.
 */
import { median } from "../load/stats.ts";
import type { SideBySide, TargetResult } from "../result.ts";
import { BEFORE_PREFIX, type Target } from "../targets.ts";
import { type BenchContext, round2 } from "./context.ts";

const REPS = 3;
/** Each server of a pair gets this share of the slower one's req/s: together most of the core. */
export const LOAD = 0.4;

/** The pairs the targets (goals.ts) compare, and every target with its "before". */
export function sideBySidePairs(targets: readonly Target[]): [Target, Target][] {
  const byId = new Map(targets.map((target) => [target.id, target]));
  const pairs: [Target, Target][] = [];
  const add = (a: string, b: string) => {
    const x = byId.get(a);
    const y = byId.get(b);
    if (x && y) pairs.push([x, y]);
  };
  for (const prefix of ["", BEFORE_PREFIX]) {
    add(`${prefix}service-rest`, `${prefix}raw-http`);
    add(`${prefix}service-rest`, `${prefix}express`);
    add(`${prefix}service-connect-json`, `${prefix}connect-bare-json`);
    add(`${prefix}service-connect-h2`, `${prefix}connect-bare-h2`);
    add(`${prefix}service-grpc`, `${prefix}connect-bare-grpc`);
  }
  for (const target of targets) {
    if (!target.variant) add(target.id, `${BEFORE_PREFIX}${target.id}`);
  }
  return pairs;
}

export async function sideBySide(
  context: BenchContext,
  measured: readonly TargetResult[],
): Promise<SideBySide[]> {
  const { options, server, driver } = context;
  const rpsOf = (target: Target) => measured.find((r) => r.id === target.id)?.rps ?? 0;
  const durationMs = Math.max(500, Math.round(options.durationMs));
  const results: SideBySide[] = [];
  for (const [a, b] of sideBySidePairs(context.targets)) {
    const rate = Math.max(1, Math.round(Math.min(rpsOf(a), rpsOf(b)) * LOAD));
    const reps: { a: number; b: number }[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const [a0, b0] = await Promise.all([server(a).usage(), server(b).usage()]);
      const tag = `sbs${rep}-`;
      const [runA, runB] = await Promise.all([
        driver(a).open(rate, durationMs, `${tag}${a.id}-`),
        driver(b).open(rate, durationMs, `${tag}${b.id}-`),
      ]);
      const [a1, b1] = await Promise.all([server(a).usage(), server(b).usage()]);
      reps.push({
        a: (a1.cpuUs - a0.cpuUs) / Math.max(1, runA.sent),
        b: (b1.cpuUs - b0.cpuUs) / Math.max(1, runB.sent),
      });
    }
    const result: SideBySide = {
      a: a.id,
      b: b.id,
      ratePerSecond: rate,
      aCpuUsPerRequest: Math.round(median(reps.map((r) => r.a))),
      bCpuUsPerRequest: Math.round(median(reps.map((r) => r.b))),
      extraUs: Math.round(median(reps.map((r) => r.a - r.b))),
      ratio: round2(median(reps.map((r) => r.a / r.b))),
    };
    results.push(result);
    options.log(
      `side by side at ${rate} req/s each: ${a.id} ${result.aCpuUsPerRequest} µs, ` +
        `${b.id} ${result.bCpuUsPerRequest} µs CPU/req (${result.extraUs >= 0 ? "+" : ""}${result.extraUs} µs)`,
    );
  }
  return results;
}
