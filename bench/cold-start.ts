/**
 * Cold start to ready: spawn `node src/main.ts` (pinned to the server core) and time until
 * GET /readyz answers 200, polling every 2 ms. With the fake's COGNITO_* settings that is the
 * production path (config, app, listen, JWKS); without any, the embedded emulator starts too.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { get } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pinned } from "./children.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

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
  timeoutMs = 60_000,
): Promise<number> {
  const port = await freePort();
  const [file, args] = pinned(cpus, [MAIN]);
  const started = performance.now();
  const child = spawn(file, args, {
    env: { ...env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn" },
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
        throw new Error(`src/main.ts exited before ready: ${stderr.trim().slice(0, 500)}`);
      }
      if ((await readyStatus(port)) === 200) {
        return performance.now() - started;
      }
      if (performance.now() - started > timeoutMs) {
        throw new Error(`src/main.ts not ready within ${timeoutMs} ms`);
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
  withoutEmulator: ColdStart;
  withEmulator?: ColdStart & {
    /** The first start, on an empty data folder (a fresh clone); the others reuse it. */
    firstMs: number;
  };
}

/** The environment every start gets: nothing of the runner's but PATH and HOME. */
export function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir() };
}

export async function emulatorStarts(runs: number, cpus: string | undefined): Promise<number[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-embedded-"));
  try {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      samples.push(await coldStartOnce({ ...baseEnv(), LOCAL_DATA_DIR: dataDir }, cpus));
    }
    return samples;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
