/**
 * The bench harness must not rot: it runs end to end for about a second of load (every target,
 * every driver, the added-latency, upstream and cold-start phases) and prints a well-formed
 * table. No speed is asserted here; the figures come from `npm run bench`.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type BenchResult, FULL, runBench } from "../../../bench/harness.ts";
import { packageOf, summarize } from "../../../bench/profile.ts";
import { formatTable } from "../../../bench/table.ts";
import { TARGETS } from "../../../bench/targets.ts";

function tables(text: string): string[][][] {
  const found: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("|")) {
      current ??= [];
      current.push(
        line
          .slice(1, -1)
          .split("|")
          .map((cell) => cell.trim()),
      );
    } else if (current) {
      found.push(current);
      current = undefined;
    }
  }
  if (current) found.push(current);
  return found;
}

describe("bench harness", () => {
  it("runs every target briefly and prints a well-formed table", { timeout: 120_000 }, async () => {
    const lines: string[] = [];
    const result: BenchResult = await runBench({
      ...FULL,
      durationMs: 80,
      warmupMs: 20,
      rounds: 1,
      concurrency: 4,
      latencyDurationMs: 150,
      providerLatencyMs: 5,
      latencyRounds: 1,
      coldStartRuns: 1,
      soakRefreshes: 900,
      emulator: false,
      pin: false,
      log: (line) => lines.push(line),
    });
    expect(lines).toContain("every target answers with the same bytes");
    expect(result.targets.map((target) => target.id)).toEqual(TARGETS.map((target) => target.id));
    for (const target of result.targets) {
      expect(target.rounds).toHaveLength(1);
      expect(target.rps).toBeGreaterThan(0);
      expect(target.cpuUsPerRequest).toBeGreaterThan(0);
      expect(target.peakRssMiB).toBeGreaterThan(0);
      expect(target.checkProviderCalls).toBe(1);
    }
    expect(result.upstream.coalesced?.providerCalls).toBe(1);
    // One customer's tabs over three replicas: one provider call per token.
    const tabs = result.replay?.tabs;
    if (tabs && "skipped" in tabs) expect(process.env.CI).not.toBe("true");
    else expect([tabs?.providerCalls, tabs?.ok]).toEqual([tabs?.distinctTokens, 100]);
    expect(Object.keys(result.replay?.soak.statuses ?? {})).toEqual(["200"]);
    expect(result.replay?.soak.storeEntries).toBeLessThanOrEqual(
      result.replay?.soak.storeBound ?? 0,
    );
    expect(result.coldStart.withoutEmulator.runs).toBe(1);
    // The image's start, the bundle, is timed too and is what the target is read from.
    expect(result.coldStart.bundle?.runs).toBe(1);
    expect(result.coldStart.bundle?.medianMs).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({ schema: 1 });

    const printed = formatTable(result);
    const [main, latency] = tables(printed);
    const header = main?.[0] ?? [];
    expect(header).toEqual([
      "server",
      "protocol",
      "req/s",
      "p50 ms",
      "p99 ms",
      "CPU µs/req",
      "peak RSS MiB",
      "req/s vs raw",
      "CPU vs raw",
    ]);
    expect(main).toHaveLength(2 + TARGETS.length);
    for (const row of main?.slice(2) ?? []) {
      expect(row).toHaveLength(header.length);
      for (const cell of row.slice(2)) {
        expect(cell).toMatch(/^(\d[\d,]*(\.\d+)?|–)$/);
      }
    }
    expect(latency?.length).toBe(2 + result.addedLatency.length);
    expect(printed).toMatch(/provider calls per refresh/);
    expect(printed).toMatch(/Cold start to ready/);
    expect(printed).toMatch(/The refresh replay:/);
    expect(printed).toMatch(/`node dist\/main.mjs` \(the bundle, Cognito configured\): [\d,]+ ms/);
  });

  it("runs a checkout's src/ as the before of each target, interleaved", {
    timeout: 120_000,
  }, async () => {
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const result = await runBench({
      ...FULL,
      durationMs: 80,
      warmupMs: 20,
      rounds: 1,
      concurrency: 2,
      latencyDurationMs: 100,
      providerLatencyMs: 5,
      latencyRounds: 1,
      coldStartRuns: 1,
      emulator: false,
      pin: false,
      targets: ["service-rest", "raw-http"],
      soakRefreshes: 0,
      before: root,
      log: () => undefined,
    });
    expect(result.targets.map((target) => [target.id, target.variant])).toEqual([
      ["service-rest", "after"],
      ["before-service-rest", "before"],
      ["raw-http", "after"],
      ["before-raw-http", "before"],
    ]);
    expect(result.targets.find((t) => t.id === "before-service-rest")?.raw).toBe("before-raw-http");
    expect(result.before?.dir).toBe(root.replace(/\/$/, ""));
    expect(result.coldStartBefore?.withoutEmulator.runs).toBe(1);
    const printed = formatTable(result);
    expect(printed).toMatch(/Before → after/);
    expect(printed).toMatch(/service REST route \(before\)/);
    expect(printed).toMatch(/Targets, before:/);
  });

  it("summarizes a CPU profile by package, inclusive of callees", () => {
    const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
      id,
      callFrame: { functionName, url, lineNumber: 0 },
      children,
    });
    const summary = summarize({
      nodes: [
        frame(1, "(root)", "", [2, 5]),
        frame(2, "refresh", "file:///repo/src/cognito/cognito-provider.ts", [3]),
        frame(3, "send", "file:///repo/node_modules/@smithy/core/dist-cjs/index.js", [4]),
        frame(4, "writev", ""),
        frame(5, "(garbage collector)", ""),
      ],
      samples: [4, 4, 3, 5],
      timeDeltas: [10, 10, 10, 10],
    });
    expect(packageOf({ functionName: "f", url: "node:_http_client", lineNumber: 0 })).toBe(
      "node:http",
    );
    expect(summary.inclusiveByPackage).toContainEqual({
      name: "AWS SDK (@aws-sdk, @smithy)",
      percent: 75,
    });
    expect(summary.inclusiveByPackage).toContainEqual({ name: "service (src/)", percent: 75 });
    expect(summary.selfByPackage[0]).toEqual({
      name: "V8/native builtins and bindings",
      percent: 50,
    });
  });
});
