/**
 * Drivers around a call(token) function: closed loop (N workers, each sending its next request
 * when the last is answered) for throughput, and open loop (a fixed arrival rate, whatever the
 * responses do) for latency at a given load.
 */
import type { LoadRun } from "./stats.ts";

export type Call = (seq: number) => Promise<void>;

export async function closedLoop(
  call: Call,
  concurrency: number,
  durationMs: number,
): Promise<LoadRun> {
  const latenciesMs: number[] = [];
  let ok = 0;
  let failed = 0;
  let seq = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const at = performance.now();
      try {
        await call(seq++);
        latenciesMs.push(performance.now() - at);
        ok++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, failed, sent: ok + failed, elapsedMs: performance.now() - started, latenciesMs };
}

export interface OpenLoopRun extends LoadRun {
  /** Response time by request sequence number (NaN for a failed one). */
  bySeq: Float64Array;
}

/**
 * Sends `ratePerSecond` requests per second for `durationMs`, on a 1 ms tick; each request's
 * response time is measured from when it was actually sent.
 */
export async function openLoop(
  call: Call,
  ratePerSecond: number,
  durationMs: number,
): Promise<OpenLoopRun> {
  const total = Math.max(1, Math.round((ratePerSecond * durationMs) / 1000));
  const bySeq = new Float64Array(total).fill(Number.NaN);
  const latenciesMs: number[] = [];
  const inFlight: Promise<void>[] = [];
  let ok = 0;
  let failed = 0;
  let sent = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(
        total,
        Math.floor(((performance.now() - started) * ratePerSecond) / 1000) + 1,
      );
      while (sent < due) {
        const seq = sent++;
        const at = performance.now();
        inFlight.push(
          call(seq).then(
            () => {
              const ms = performance.now() - at;
              bySeq[seq] = ms;
              latenciesMs.push(ms);
              ok++;
            },
            () => {
              failed++;
            },
          ),
        );
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
    tick();
  });
  await Promise.all(inFlight);
  return { ok, failed, elapsedMs: performance.now() - started, latenciesMs, bySeq, sent };
}
