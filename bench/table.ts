/** The printed report: markdown tables, ready to paste into the README. */
import type { BenchResult } from "./harness.ts";
import { PROTOCOL_LABELS } from "./targets.ts";

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
      "same fake through the same AWS SDK client and verifies both tokens.",
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
        "hold time for that same request.",
      "",
      row([
        "server",
        "req/s offered",
        "added p50 ms",
        "added p99 ms",
        "response p50 ms",
        "response p99 ms",
        "server loop stall max ms",
      ]),
      row(["---", "---:", "---:", "---:", "---:", "---:", "---:"]),
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
          num(latency.serverLoopDelayMaxMs, 0),
        ]),
      );
    }
  }
  const { upstream, coldStart } = result;
  const services = result.targets.filter((target) => target.service);
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
  if (coldStart.withoutEmulator.runs > 0) {
    lines.push(
      "",
      `Cold start to ready (spawn \`node src/main.ts\` until /readyz is 200, median of ${coldStart.withoutEmulator.runs}):`,
      "",
      `- without the emulator (Cognito configured): ${num(coldStart.withoutEmulator.medianMs)} ms ` +
        `(${num(Math.min(...coldStart.withoutEmulator.samplesMs))}–${num(Math.max(...coldStart.withoutEmulator.samplesMs))})`,
    );
    const emulator = coldStart.withEmulator;
    if (emulator) {
      lines.push(
        `- with the embedded emulator: ${num(emulator.medianMs)} ms ` +
          `(${num(Math.min(...emulator.samplesMs))}–${num(Math.max(...emulator.samplesMs))}); ` +
          `first start on an empty data folder: ${num(emulator.firstMs)} ms`,
      );
    }
  }
  return lines.join("\n");
}
