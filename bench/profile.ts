/**
 * CPU profiles of servers under steady load: `npm run bench -- --profile service-rest,raw-http`.
 * Each target runs alone (pinned like the bench), is warmed up, then profiled by V8's sampling
 * profiler (the one behind `node --cpu-prof`) for the measured run only. The raw .cpuprofile
 * goes to .local/bench-profiles/ (open it in Chrome DevTools); a summary (self time by package
 * and by function, and the inclusive share of each package) is printed and returned.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Child, hasTaskset, killAll, pinSelf, spawnChild } from "./children.ts";
import { baseEnv } from "./cold-start.ts";
import { createDriver } from "./drivers.ts";
import { TARGETS, withBefore } from "./targets.ts";

const FAKE = fileURLToPath(new URL("./fake/fake-cognito.ts", import.meta.url));
const SERVER = fileURLToPath(new URL("./servers/entry.ts", import.meta.url));
const PROFILES = fileURLToPath(new URL("../.local/bench-profiles/", import.meta.url));

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  percent: number;
}

export interface ProfileSummary {
  target: string;
  file: string;
  requests: number;
  cpuUsPerRequest: number;
  /** Self time by where the code lives. */
  selfByPackage: Share[];
  /** Samples with at least one frame of this package on the stack (what it and its callees cost). */
  inclusiveByPackage: Share[];
  topSelf: Share[];
}

/** Where a frame's code lives: a package, the service's src/, the bench, Node core, V8. */
export function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === "(garbage collector)") return "V8: garbage collector";
    if (functionName === "(idle)") return "idle";
    if (functionName === "(program)") return "V8: (program)";
    // Builtins and bindings (crypto verify, socket writev, string encoding): attributed to
    // their JavaScript callers in the inclusive view.
    return "V8/native builtins and bindings";
  }
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const [scope = "", name = ""] = url.slice(modules + 14).split("/");
    const pkg = scope.startsWith("@") ? `${scope}/${name}` : scope;
    if (
      pkg.startsWith("@aws-sdk/") ||
      pkg.startsWith("@smithy/") ||
      pkg.startsWith("@aws-crypto/")
    ) {
      return "AWS SDK (@aws-sdk, @smithy)";
    }
    if (pkg.startsWith("@connectrpc/") || pkg.startsWith("@bufbuild/")) {
      return "connect-es / protobuf-es";
    }
    return pkg;
  }
  if (url.startsWith("node:")) {
    const segment = url.replace(/^node:(internal\/)?/, "").split("/")[0] ?? "";
    // node:_http_client -> node:http; node:internal/per_context/... -> node:per_context
    return `node:${segment.startsWith("_") ? segment.slice(1).replace(/_.*$/, "") : segment}`;
  }
  if (url.includes("/src/")) return "service (src/)";
  if (url.includes("/bench/")) return "bench server glue";
  if (url.includes("/gen/")) return "generated code (gen/)";
  return "other";
}

function shares(map: Map<string, number>, total: number, limit = 20): Share[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, value]) => ({ name, percent: Math.round((value / total) * 1000) / 10 }));
}

export function summarize(
  profile: CpuProfile,
): Omit<ProfileSummary, "target" | "file" | "requests" | "cpuUsPerRequest"> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === "(idle)") return;
    total += delta;
    const pkg = packageOf(node.callFrame);
    self.set(pkg, (self.get(pkg) ?? 0) + delta);
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? ` ${url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*?\/(src|bench|gen)\//, "$1/")}:${lineNumber + 1}`
      : "";
    const key = `${functionName || "(anonymous)"}${where}`;
    functions.set(key, (functions.get(key) ?? 0) + delta);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame && frame.functionName !== "(root)") onStack.add(packageOf(frame));
    }
    for (const name of onStack) {
      // Every stack has these near its root: they say nothing about who spends the time.
      if (name === "node:process" || name === "node:timers" || name.startsWith("V8")) continue;
      inclusive.set(name, (inclusive.get(name) ?? 0) + delta);
    }
  });
  return {
    selfByPackage: shares(self, total),
    inclusiveByPackage: shares(inclusive, total),
    topSelf: shares(functions, total, 25),
  };
}

export interface ProfileOptions {
  targets: readonly string[];
  warmupMs: number;
  durationMs: number;
  concurrency: number;
  pin: boolean;
  /** Another checkout: targets "before-<id>" run its src/ (see harness.ts). */
  before?: string | undefined;
  nodeFlags?: readonly string[] | undefined;
  log: (line: string) => void;
}

export async function profileTargets(options: ProfileOptions): Promise<ProfileSummary[]> {
  const cores = cpus().length;
  const pin = options.pin && cores >= 2 && hasTaskset();
  const serverCpus = pin ? "0" : undefined;
  const loadCpus = pin ? (cores === 2 ? "1" : `1-${cores - 1}`) : undefined;
  if (pin && loadCpus) pinSelf(loadCpus);
  mkdirSync(PROFILES, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/[:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const children: Child[] = [];
  try {
    const fake = await spawnChild(FAKE, { name: "fake", env: baseEnv(), cpus: loadCpus });
    children.push(fake);
    const summaries: ProfileSummary[] = [];
    const known = withBefore(TARGETS, options.before && resolve(options.before));
    for (const id of options.targets) {
      const target = known.find((each) => each.id === id);
      if (!target) throw new Error(`no such target: ${id}${options.before ? "" : " (--before?)"}`);
      const server = await spawnChild(SERVER, {
        name: id,
        args: [target.server],
        env: {
          ...baseEnv(),
          ...(fake.ready.env as Record<string, string>),
          ...(target.srcRoot ? { BENCH_SRC_ROOT: target.srcRoot } : {}),
        },
        cpus: serverCpus,
        execArgv: [...(options.nodeFlags ?? [])],
      });
      children.push(server);
      const driver = createDriver(target.protocol, server.ready.port as number);
      await driver.closed(options.warmupMs, options.concurrency, `pw-${id}-`);
      const file = `${PROFILES}${stamp}-${id}.cpuprofile`;
      await server.request("profile-start");
      const before = await server.usage();
      const run = await driver.closed(options.durationMs, options.concurrency, `p-${id}-`);
      const after = await server.usage();
      await server.request("profile-stop", { path: file });
      driver.close();
      await server.stop();
      const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
      const summary: ProfileSummary = {
        target: id,
        file: file.slice(file.indexOf(".local/")),
        requests: run.sent,
        cpuUsPerRequest: Math.round((after.cpuUs - before.cpuUs) / Math.max(1, run.sent)),
        ...summarize(profile),
      };
      summaries.push(summary);
      options.log(`profiled ${id}: ${summary.file}`);
    }
    await fake.stop();
    return summaries;
  } finally {
    await Promise.allSettled(children.map((child) => child.stop()));
    killAll();
  }
}

export function formatProfile(summary: ProfileSummary): string {
  const list = (shares: Share[], limit: number) =>
    shares
      .slice(0, limit)
      .map((share) => `  ${share.percent.toFixed(1).padStart(5)} %  ${share.name}`)
      .join("\n");
  return [
    `${summary.target}: ${summary.requests} requests, ${summary.cpuUsPerRequest} µs CPU/req while profiled (${summary.file})`,
    "self time by package:",
    list(summary.selfByPackage, 12),
    "inclusive (on the stack) by package:",
    list(summary.inclusiveByPackage, 12),
    "top functions by self time:",
    list(summary.topSelf, 15),
  ].join("\n");
}
