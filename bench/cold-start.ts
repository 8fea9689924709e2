/**
 * Cold start to ready: spawn `node src/main.ts` (pinned to the server core) and time until
 * GET /readyz answers 200, polling every 2 ms. With the fake's COGNITO_* settings that is the
 * production path (config, app, listen, JWKS); without any, the embedded emulator starts too.
 * The image's start, the bundle deploy/bundle.ts makes (`node dist/main.mjs`), is timed the
 * same way, with Cognito configured. With `--before <dir>`, that checkout starts too (its
 * src/main.ts, and its src/ bundled by this checkout's bundler), alternating with this one.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { get } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle } from "../deploy/bundle.ts";
import { pinned } from "./children.ts";
import { median } from "./load/stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function readyStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path: "/readyz", agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.setTimeout(1000, () => req.destroy());
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One start: milliseconds from spawn to the first 200 from /readyz; the process is stopped after. */
export async function coldStartOnce(
  env: Record<string, string>,
  cpus: string | undefined,
  entry = join(ROOT, "src", "main.ts"),
  nodeFlags: readonly string[] = [],
  timeoutMs = 60_000,
): Promise<number> {
  const port = await freePort();
  const [file, args] = pinned(cpus, [...nodeFlags, entry]);
  const started = performance.now();
  const child = spawn(file, args, {
    env: { ...env, PORT: String(port), METRICS_PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${entry} exited before ready: ${stderr.trim().slice(0, 500)}`);
      }
      if ((await readyStatus(port)) === 200) {
        return performance.now() - started;
      }
      if (performance.now() - started > timeoutMs) {
        throw new Error(`${entry} not ready within ${timeoutMs} ms`);
      }
      await sleep(2);
    }
  } finally {
    // SIGTERM: main stops the app and, when embedded, its emulator; then it exits.
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killer);
  }
}

export interface ColdStart {
  runs: number;
  samplesMs: number[];
  medianMs: number;
}

export interface ColdStarts {
  /** firstMs: the first start, with an empty compile cache; the median is of the others. */
  withoutEmulator: ColdStart & { firstMs?: number };
  /** The image's start (`node dist/main.mjs`, Cognito configured); firstMs as above. */
  bundle?: ColdStart & { firstMs?: number };
  withEmulator?: ColdStart & {
    /**
     * The first start, on an empty data folder (a fresh clone); the others reuse it. With a
     * "before", that root's first start comes second, on the folder the first one made.
     */
    firstMs: number;
  };
}

/** The environment every start gets: nothing of the runner's but PATH and HOME. */
export function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir() };
}

function summary(samples: number[]): ColdStart {
  return {
    runs: samples.length,
    samplesMs: samples.map(Math.round),
    medianMs: Math.round(median(samples)),
  };
}

export interface ColdStartOptions {
  /** The fake's COGNITO_* settings (the production path). */
  env: Record<string, string>;
  cpus: string | undefined;
  runs: number;
  emulator: boolean;
  /** Checkouts to start, alternately: this one first, then the "before" one if any. */
  roots: readonly string[];
  nodeFlags: readonly string[];
  log: (line: string) => void;
}

/**
 * Cold starts of each root, alternating run by run so that both see the same machine. Each
 * root starts once more than `runs`: that first start is reported apart (firstMs), because
 * the service keeps a compile cache (in TMPDIR, here a fresh folder per bench run) that only
 * the starts after it read. The embedded emulator's data folder is fresh too: its first start
 * creates it, as on a fresh clone.
 */
export async function coldStarts(options: ColdStartOptions): Promise<ColdStarts[]> {
  const { roots, runs, cpus, nodeFlags } = options;
  const scratch = mkdtempSync(join(tmpdir(), "bench-cold-"));
  const series = async (env: Record<string, string>, entries: readonly string[]) => {
    const samples = entries.map(() => [] as number[]);
    for (let i = 0; i <= runs; i++) {
      for (const [r, entry] of entries.entries()) {
        samples[r]?.push(await coldStartOnce(env, cpus, entry, nodeFlags));
      }
    }
    return samples.map(([first = Number.NaN, ...rest]) => ({
      ...summary(rest),
      firstMs: Math.round(first),
    }));
  };
  try {
    const mains = roots.map((root) => join(resolve(root), "src", "main.ts"));
    const bundles = await Promise.all(
      roots.map((root, r) => bundle(root, join(scratch, `dist-${r}`))),
    );
    // Interleaved, source and bundle, this checkout and the before: the same machine for all.
    const env = { ...options.env, TMPDIR: scratch };
    const without = await series(
      env,
      mains.flatMap((main, r) => [main, bundles[r] ?? main]),
    );
    const results: ColdStarts[] = roots.map((_, r) => ({
      withoutEmulator: without[2 * r] as ColdStart,
      bundle: without[2 * r + 1],
    }));
    for (const [r, result] of results.entries()) {
      options.log(
        `cold start without the emulator (${roots[r]}): median ${result.withoutEmulator.medianMs} ms, first ${result.withoutEmulator.firstMs} ms; bundle: median ${result.bundle?.medianMs} ms, first ${result.bundle?.firstMs} ms`,
      );
    }
    if (!options.emulator || runs === 0) return results;
    const dataDir = join(scratch, "embedded");
    const withEmulator = await series(
      { ...baseEnv(), TMPDIR: scratch, LOCAL_DATA_DIR: dataDir },
      mains,
    );
    for (const [r, result] of results.entries()) {
      result.withEmulator = withEmulator[r];
      options.log(
        `cold start with the emulator (${roots[r]}): median ${result.withEmulator?.medianMs} ms`,
      );
    }
    return results;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
