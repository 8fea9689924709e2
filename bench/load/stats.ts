/** Percentiles and medians of plain arrays: runs are short enough to keep every sample. */

export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value));
  return finite.length === 0 ? Number.NaN : percentile(finite, 50);
}

/** One load run, as every load client reports it. */
export interface LoadRun {
  /** Successful responses (2xx / status OK). */
  ok: number;
  /** Failed responses and transport errors. */
  failed: number;
  /**
   * Requests sent, answered or not: autocannon abandons the ones in flight when its time is
   * up, and the server still did their work.
   */
  sent: number;
  elapsedMs: number;
  /** Response time of each successful request, in milliseconds. */
  latenciesMs: number[];
}
