/**
 * npm run bench [-- --quick] [-- --duration 4] [-- --rounds 3] [-- --targets a,b] [-- --no-pin]
 *   [-- --no-cold-start] [-- --no-emulator] [-- --no-write] [-- --before <dir>]
 *   [-- --node-flags "--max-semi-space-size=1"] [-- --soak 200000]
 * npm run bench -- --profile service-rest,raw-http [--duration 8]: CPU profiles under load.
 * --before <dir>: every target also runs <dir>'s src/ (a checkout of an earlier commit, e.g.
 *   `git worktree add .local/before HEAD` before editing, with node_modules symlinked), interleaved
 *   with this one's, and the report compares them; with --profile, "before-<id>" profiles that one.
 * BENCH_DURATION (seconds per measured run) works too. Prints the table, writes the JSON under
 * bench/results/ and says where.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FULL, QUICK, runBench } from "./harness.ts";
import { commit, machine } from "./machine.ts";
import { formatProfile, profileTargets } from "./profile.ts";
import { formatTable } from "./table.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    duration: { type: "string" },
    rounds: { type: "string" },
    concurrency: { type: "string" },
    targets: { type: "string" },
    "no-pin": { type: "boolean", default: false },
    "no-cold-start": { type: "boolean", default: false },
    "no-emulator": { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    profile: { type: "string" },
    before: { type: "string" },
    "node-flags": { type: "string" },
    soak: { type: "string" },
  },
});

function positive(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`${name}: expected a positive number, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

const base = values.quick ? QUICK : FULL;
const seconds = positive("--duration", values.duration ?? process.env.BENCH_DURATION);
const options = {
  ...base,
  durationMs: seconds ? seconds * 1000 : base.durationMs,
  warmupMs: seconds ? Math.min(base.warmupMs, seconds * 1000) : base.warmupMs,
  rounds: positive("--rounds", values.rounds) ?? base.rounds,
  soakRefreshes: positive("--soak", values.soak) ?? base.soakRefreshes,
  concurrency: positive("--concurrency", values.concurrency) ?? base.concurrency,
  targets: values.targets ? values.targets.split(",").map((id) => id.trim()) : [],
  pin: !values["no-pin"],
  coldStartRuns: values["no-cold-start"] ? 0 : base.coldStartRuns,
  emulator: !values["no-emulator"],
  before: values.before,
  nodeFlags: values["node-flags"]?.split(" ").filter(Boolean),
  log: (line: string) => process.stderr.write(`bench: ${line}\n`),
};

if (values.profile) {
  const summaries = await profileTargets({
    targets: values.profile.split(",").map((id) => id.trim()),
    warmupMs: options.warmupMs,
    durationMs: seconds ? seconds * 1000 : 8000,
    concurrency: options.concurrency,
    pin: options.pin,
    before: values.before,
    nodeFlags: options.nodeFlags,
    log: options.log,
  });
  process.stdout.write(`\n${summaries.map(formatProfile).join("\n\n")}\n\n`);
  if (!values["no-write"]) {
    const dir = fileURLToPath(new URL("./results/", import.meta.url));
    mkdirSync(dir, { recursive: true });
    const when = new Date()
      .toISOString()
      .replace(/[:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const git = commit(fileURLToPath(new URL("..", import.meta.url)));
    const name = `profile-${when}-${git.commit.slice(0, 7)}.json`;
    const body = { schema: 1, machine: machine(), git, summaries };
    writeFileSync(`${dir}${name}`, `${JSON.stringify(body, null, 2)}\n`);
    process.stdout.write(`profile summaries: bench/results/${name}\n`);
  }
  process.exit(0);
}

const result = await runBench(options);
process.stdout.write(`\n${formatTable(result)}\n\n`);
if (!values["no-write"]) {
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const stamp = result.startedAt.replace(/[:]/g, "").replace(/\.\d+Z$/, "Z");
  const name = `${stamp}-${result.git.commit.slice(0, 7)}${values.quick ? "-quick" : ""}.json`;
  writeFileSync(`${dir}${name}`, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`results: bench/results/${name} (${result.elapsedSeconds} s run)\n`);
}
