/** The printed report: markdown tables, ready to paste into the README. */

import type { ColdStarts } from "./cold-start.ts";
import { formatGoals, goals } from "./goals.ts";
import { cpuRatio, rpsRatio } from "./paired.ts";
import { replayLines } from "./phases/replay.ts";
import { LOAD as SIDE_BY_SIDE_LOAD } from "./phases/side-by-side.ts";
import type { BenchResult } from "./result.ts";
import { BEFORE_PREFIX, PROTOCOL_LABELS } from "./targets.ts";

function num(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

export function formatTable(result: BenchResult): string {
  const { machine, options } = result;
  const lines: string[] = [];
  const pinning = result.pinning
    ? `servers pinned to CPU ${result.pinning.server}, load generator and fake Cognito to CPU ${result.pinning.load}`
    : "not pinned";
  lines.push(
    `${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; ${pinning}; ` +
      `commit ${result.git.commit.slice(0, 12)}${result.git.dirty ? " (dirty)" : ""}`,
    `Closed loop, ${options.concurrency} in flight, provider 0 ms, medians of ${options.rounds} ` +
      `interleaved ${num(options.durationMs / 1000, 1)} s runs per target; every server calls the ` +
      "same fake through the same AWS SDK client and verifies both tokens; the vs-raw columns " +
      "are medians of round-by-round ratios.",
    "",
    row([
      "server",
      "protocol",
      "req/s",
      "p50 ms",
      "p99 ms",
      "CPU µs/req",
      "peak RSS MiB",
      "req/s vs raw",
      "CPU vs raw",
    ]),
    row(["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
  );
  for (const target of result.targets) {
    lines.push(
      row([
        target.failed > 0 ? `${target.label} (${target.failed} failed)` : target.label,
        PROTOCOL_LABELS[target.protocol],
        num(target.rps),
        num(target.p50Ms, 1),
        num(target.p99Ms, 1),
        num(target.cpuUsPerRequest),
        num(target.peakRssMiB),
        target.vsRaw ? num(target.vsRaw.rps, 2) : "–",
        target.vsRaw ? num(target.vsRaw.cpu, 2) : "–",
      ]),
    );
  }
  if (result.addedLatency.length > 0) {
    lines.push(
      "",
      `Added latency: open loop at ${num(options.latencyLoad * 100)} % of each target's req/s above, ` +
        `provider ${options.providerLatencyMs} ms, medians of ${options.latencyRounds} interleaved ` +
        `${num(options.latencyDurationMs / 1000, 1)} s runs; added = response time − the provider's ` +
        "hold time for that same request. Stalls: how long each process's event loop was held " +
        "up at most (beyond its 10 ms sampling period) during the run.",
      "",
      row([
        "server",
        "req/s offered",
        "added p50 ms",
        "added p99 ms",
        "response p50 ms",
        "response p99 ms",
        "server stall max ms",
        "server GC max ms",
        "load gen stall max ms",
        "fake stall max ms",
      ]),
      row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
    );
    for (const latency of result.addedLatency) {
      lines.push(
        row([
          latency.failed > 0 ? `${latency.label} (${latency.failed} failed)` : latency.label,
          num(latency.ratePerSecond),
          num(latency.addedP50Ms, 2),
          num(latency.addedP99Ms, 2),
          num(latency.responseP50Ms, 1),
          num(latency.responseP99Ms, 1),
          num(latency.serverLoopDelayMaxMs, 1),
          num(latency.serverGcMaxMs, 1),
          num(latency.clientLoopDelayMaxMs, 1),
          num(latency.fakeLoopDelayMaxMs, 1),
        ]),
      );
    }
  }
  if (result.sideBySide?.length) {
    lines.push("", ...sideBySideLines(result));
  }
  const { upstream, coldStart } = result;
  const services = result.targets.filter((target) => target.service && target.variant === "after");
  lines.push("", "Upstream efficiency (the service):", "");
  if (services.length > 0) {
    lines.push(
      `- provider calls per refresh: ${services.map((t) => `${PROTOCOL_LABELS[t.protocol]} ${upstream.callsPerRefresh[t.id]}`).join(", ")}` +
        `; over the measured runs, provider calls per distinct refresh token: ${services.map((t) => num(upstream.steadyCallsPerRefresh[t.id], 2)).join(", ")}`,
    );
    if (upstream.coalesced) {
      const c = upstream.coalesced;
      lines.push(
        `- ${c.n} identical concurrent refreshes (${c.over}, provider ${c.providerLatencyMs} ms): ` +
          `${c.providerCalls} provider call(s), ${c.ok}/${c.n} answered`,
      );
    }
    lines.push(
      `- connections opened to the provider: ${services.map((t) => `${PROTOCOL_LABELS[t.protocol]} ${upstream.connectionsDuringWarmup[t.id]} during warm-up, ${upstream.connectionsDuringSteadyRuns[t.id]} in the steady middle 60 % of the measured runs (${upstream.connectionsDuringMeasuredRuns[t.id]} over the whole runs)`).join("; ")}`,
    );
  }
  lines.push(...replayLines(result.replay));
  if (coldStart.withoutEmulator.runs > 0) {
    lines.push(
      "",
      `Cold start to ready (spawn node until /readyz is 200, median of ${coldStart.withoutEmulator.runs} after a first start):`,
      "",
      ...coldStartLines(coldStart, ""),
      ...(result.coldStartBefore ? coldStartLines(result.coldStartBefore, " (before)") : []),
    );
  }
  if (result.before) {
    lines.push("", ...comparison(result));
  }
  lines.push("", "Targets:", "", ...formatGoals(goals(result)));
  if (result.before) {
    lines.push("", "Targets, before:", "", ...formatGoals(goals(result, "before")));
  }
  return lines.join("\n");
}

function coldStartLines(cold: ColdStarts, suffix: string): string[] {
  const range = (samples: number[]) => `${num(Math.min(...samples))}–${num(Math.max(...samples))}`;
  const firstWithout = cold.withoutEmulator.firstMs;
  const lines = [
    `- \`node src/main.ts\`, without the emulator (Cognito configured)${suffix}: ${num(cold.withoutEmulator.medianMs)} ms ` +
      `(${range(cold.withoutEmulator.samplesMs)})` +
      (firstWithout === undefined
        ? ""
        : `; first start (empty compile cache): ${num(firstWithout)} ms`),
  ];
  const { bundle } = cold;
  if (bundle && bundle.runs > 0) {
    lines.push(
      `- the image's start, \`node dist/main.mjs\` (the bundle, Cognito configured)${suffix}: ${num(bundle.medianMs)} ms ` +
        `(${range(bundle.samplesMs)})` +
        (bundle.firstMs === undefined
          ? ""
          : `; first start (empty compile cache): ${num(bundle.firstMs)} ms`),
    );
  }
  const emulator = cold.withEmulator;
  if (emulator) {
    const first = Number.isFinite(emulator.firstMs)
      ? `; first start on an empty data folder: ${num(emulator.firstMs)} ms`
      : "";
    lines.push(
      `- with the embedded emulator${suffix}: ${num(emulator.medianMs)} ms (${range(emulator.samplesMs)})${first}`,
    );
  }
  return lines;
}

/** Each target beside its "before" copy: req/s and CPU per request, and the change. */
function comparison(result: BenchResult): string[] {
  const change = (ratio: number) => {
    const percent = (ratio - 1) * 100;
    return Number.isFinite(percent) ? `${percent >= 0 ? "+" : ""}${num(percent)} %` : "–";
  };
  const lines = [
    `Before → after: before = ${result.before?.dir} (commit ${result.before?.git.commit.slice(0, 12)}` +
      `${result.before?.git.dirty ? ", dirty" : ""}), same glue, fake and load; each target ran ` +
      "next to its before in every round, and a change is the median of the round-by-round ratios.",
    "",
    row([
      "server",
      "protocol",
      "req/s before",
      "req/s after",
      "change",
      "CPU µs/req before",
      "CPU µs/req after",
      "change",
      "CPU change side by side",
    ]),
    row(["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
  ];
  for (const after of result.targets.filter((target) => target.variant === "after")) {
    const before = result.targets.find((target) => target.id === `${BEFORE_PREFIX}${after.id}`);
    if (!before) continue;
    lines.push(
      row([
        after.label,
        PROTOCOL_LABELS[after.protocol],
        num(before.rps),
        num(after.rps),
        change(rpsRatio(after, before)),
        num(before.cpuUsPerRequest),
        num(after.cpuUsPerRequest),
        change(cpuRatio(after, before)),
        change(
          result.sideBySide?.find((pair) => pair.a === after.id && pair.b === before.id)?.ratio ??
            Number.NaN,
        ),
      ]),
    );
  }
  return lines;
}

function sideBySideLines(result: BenchResult): string[] {
  const label = (id: string) => {
    const target = result.targets.find((each) => each.id === id);
    return target ? `${target.label} (${PROTOCOL_LABELS[target.protocol]})` : id;
  };
  const lines = [
    "CPU per request side by side: both servers of a pair under the same open-loop rate " +
      `(${num(SIDE_BY_SIDE_LOAD * 100)} % of the slower one's req/s each) over the same seconds, ` +
      `sharing the server core; medians of 3 ${num(Math.max(0.5, result.options.durationMs / 1000), 1)} s runs ` +
      "(a request costs more CPU at this load than flat out, for both alike).",
    "",
    row([
      "server",
      "compared with",
      "req/s each",
      "CPU µs/req",
      "compared's",
      "difference µs",
      "ratio",
    ]),
    row(["---", "---", "---:", "---:", "---:", "---:", "---:"]),
  ];
  for (const pair of result.sideBySide) {
    lines.push(
      row([
        label(pair.a),
        label(pair.b),
        num(pair.ratePerSecond),
        num(pair.aCpuUsPerRequest),
        num(pair.bCpuUsPerRequest),
        `${pair.extraUs >= 0 ? "+" : ""}${num(pair.extraUs)}`,
        num(pair.ratio, 2),
      ]),
    );
  }
  return lines;
}
