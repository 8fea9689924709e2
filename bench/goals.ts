/** The service's performance targets (bench/README.md), checked against one variant of a result. */
import { cpuExtra, rpsRatio } from "./paired.ts";
import type { BenchResult, TargetResult } from "./result.ts";
import { BEFORE_PREFIX } from "./targets.ts";

export interface Goal {
  name: string;
  /** What was measured, in words and numbers. */
  measured: string;
  met: boolean | undefined;
}

const fmt = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The goals for the "after" targets, or for the "before" ones when `variant` says so. */
export function goals(result: BenchResult, variant: "after" | "before" = "after"): Goal[] {
  const prefix = variant === "before" ? BEFORE_PREFIX : "";
  const find = (id: string): TargetResult | undefined =>
    result.targets.find((target) => target.id === `${prefix}${id}`);
  const out: Goal[] = [];
  const rest = find("service-rest");
  const raw = find("raw-http");
  const express = find("express");
  // The closed-loop rounds decide (the targets are per core, at full load); the side-by-side
  // figures, at a lower load but over the same seconds (side-by-side.ts), are shown beside.
  const side = (a: TargetResult, b: TargetResult) =>
    result.sideBySide?.find((pair) => pair.a === a.id && pair.b === b.id);
  const faster = (a: TargetResult, b: TargetResult, name: string, floor: number) => {
    const closed = rpsRatio(a, b);
    const pair = side(a, b);
    out.push({
      name,
      measured:
        `${fmt(a.rps)} vs ${fmt(b.rps)} req/s, ${fmt(closed, 2)}× round by round` +
        (pair
          ? `; side by side ${fmt(pair.aCpuUsPerRequest)} vs ${fmt(pair.bCpuUsPerRequest)} µs CPU/req (${pair.extraUs >= 0 ? "+" : ""}${fmt(pair.extraUs)} µs)`
          : ""),
      met: closed >= floor,
    });
  };
  if (rest && raw) faster(rest, raw, "REST route ≥ 0.9× raw node:http", 0.9);
  if (rest && express) faster(rest, express, "REST route ahead of Express 5", 1.0001);
  for (const [service, bare] of [
    ["service-connect-json", "connect-bare-json"],
    ["service-connect-h2", "connect-bare-h2"],
    ["service-grpc", "connect-bare-grpc"],
  ] as const) {
    const a = find(service);
    const b = find(bare);
    if (!a || !b) continue;
    const closed = cpuExtra(a, b);
    const pair = side(a, b);
    const signed = (value: number) => `${value >= 0 ? "+" : ""}${fmt(value)} µs`;
    out.push({
      name: `${a.label.replace(/ \(before\)$/, "")}: ≤ 20 µs CPU/req over bare connect-node`,
      measured:
        `${signed(closed)} round by round (${fmt(a.cpuUsPerRequest)} vs ${fmt(b.cpuUsPerRequest)} µs)` +
        (pair
          ? `; side by side ${signed(pair.extraUs)} (${fmt(pair.aCpuUsPerRequest)} vs ${fmt(pair.bCpuUsPerRequest)} µs)`
          : ""),
      met: closed <= 20,
    });
  }
  if (raw) {
    out.push({
      name: "provider call through the SDK (raw node:http doing the work)",
      measured: `${fmt(raw.rps)} req/s, ${fmt(raw.cpuUsPerRequest)} µs CPU/req`,
      met: undefined,
    });
  }
  const cold = variant === "before" ? result.coldStartBefore : result.coldStart;
  if (cold && cold.withoutEmulator.runs > 0) {
    // The production start is the image's: the bundle. src/main.ts is shown beside it.
    const start = cold.bundle && cold.bundle.runs > 0 ? cold.bundle : cold.withoutEmulator;
    const what = start === cold.bundle ? "node dist/main.mjs" : "node src/main.ts";
    out.push({
      name: "cold start to ready ≤ 300 ms (no emulator)",
      measured:
        `${what}: median ${fmt(start.medianMs)} ms, first ${fmt(start.firstMs ?? Number.NaN)} ms` +
        (start === cold.bundle
          ? `; node src/main.ts ${fmt(cold.withoutEmulator.medianMs)} ms`
          : ""),
      met: start.medianMs <= 300,
    });
  }
  for (const latency of result.addedLatency) {
    if (latency.variant !== variant || latency.id.replace(BEFORE_PREFIX, "").startsWith("raw-")) {
      continue;
    }
    out.push({
      name: `${latency.label.replace(/ \(before\)$/, "")}: added p99 ≤ 1 ms at 50 % load`,
      measured: `p99 ${fmt(latency.addedP99Ms, 2)} ms (p50 ${fmt(latency.addedP50Ms, 2)} ms)`,
      met: latency.addedP99Ms <= 1,
    });
  }
  return out;
}

export function formatGoals(list: readonly Goal[]): string[] {
  return list.map((goal) => {
    const mark = goal.met === undefined ? "·" : goal.met ? "met" : "MISSED";
    return `- ${mark}: ${goal.name}: ${goal.measured}`;
  });
}
