/** One replica of the service: src/main.ts as its own process, as a Deployment would run it. */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";

const LOG_TAIL = 1024 * 1024;
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

export interface Replica {
  name: string;
  port: number;
  /** Its metrics listener: GET http://127.0.0.1:<metricsPort>/metrics. */
  metricsPort: number;
  pid: number;
  /** Resolves with the exit code, or the signal's name when killed. */
  exited: Promise<number | string>;
  /** The process's latest log (JSON lines), up to 1 MiB; the file has all of it. */
  log(): string;
  /** SIGTERM: drain, then exit. */
  drain(): Promise<number | string>;
  /** SIGKILL: gone at once, in-flight requests with it. */
  kill(): Promise<number | string>;
}

export interface ReplicaOptions {
  name: string;
  port: number;
  metricsPort: number;
  env: Record<string, string>;
  /** The log file; the log is also kept in memory. */
  logFile: string;
  /** Ready only once sharing through Redis (the cluster's replicas); true unless said. */
  sharesRedis?: boolean;
}

async function ready(
  url: string,
  child: ChildProcess,
  deadline: number,
  sharesRedis: boolean,
): Promise<void> {
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const body = (await (await fetch(`${url}/readyz`)).json()) as Record<string, string>;
      // Ready and sharing through Redis: a replica still on its own count would break the
      // limit, and one replaying alone would call upstream for a token another is calling for.
      const replay = body.replayStore === undefined || body.replayStore === "redis";
      const shared = !sharesRedis || (body.rateLimitStore === "redis" && replay);
      if (body.status === "ready" && shared) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`replica at ${url} did not become ready (exit ${child.exitCode})`);
}

export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  const { name, port, metricsPort, env } = options;
  // process.execPath: npm scripts and vitest run on the project's Node 24.
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      ...env,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: "127.0.0.1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const file = createWriteStream(options.logFile);
  let text = "";
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.length > LOG_TAIL) text = text.slice(-LOG_TAIL / 2);
      file.write(chunk);
    });
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      file.end();
      resolve(code ?? signal ?? -1);
    });
  });
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    return exited;
  };
  try {
    await ready(
      `http://127.0.0.1:${port}`,
      child,
      Date.now() + 20_000,
      options.sharesRedis ?? true,
    );
  } catch (error) {
    await signal("SIGKILL");
    throw new Error(`${(error as Error).message}\n${text.slice(-2000)}`);
  }
  return {
    name,
    port,
    metricsPort,
    pid: child.pid ?? -1,
    exited,
    log: () => text,
    drain: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
  };
}
