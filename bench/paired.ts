/**
 * Comparisons made within each round, then the median over rounds: the two targets of a pair
 * run next to each other in every round (see targets.ts), so both see the same machine, and
 * on a machine whose speed drifts (shared hosts do, by 2× within seconds) that is far steadier
 * than comparing each one's own median.
 */
import type { RoundResult, TargetResult } from "./result.ts";

export function paired(
  a: TargetResult,
  b: TargetResult,
  compare: (x: RoundResult, y: RoundResult) => number,
): number {
  const values: number[] = [];
  for (let r = 0; r < Math.min(a.rounds.length, b.rounds.length); r++) {
    values.push(compare(a.rounds[r] as RoundResult, b.rounds[r] as RoundResult));
  }
  values.sort((x, y) => x - y);
  // With an even count, the mean of the middle two: no side of a pair is favoured.
  const mid = values.length / 2;
  return values.length % 2 === 1
    ? (values[Math.floor(mid)] as number)
    : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

/** a's req/s over b's, round by round. */
export const rpsRatio = (a: TargetResult, b: TargetResult) => paired(a, b, (x, y) => x.rps / y.rps);

/** a's CPU per request over b's, round by round. */
export const cpuRatio = (a: TargetResult, b: TargetResult) =>
  paired(a, b, (x, y) => x.cpuUsPerRequest / y.cpuUsPerRequest);

/** a's CPU per request minus b's, in µs, round by round. */
export const cpuExtra = (a: TargetResult, b: TargetResult) =>
  paired(a, b, (x, y) => x.cpuUsPerRequest - y.cpuUsPerRequest);
