/**
 * Runs cognito-local in a child process (emulator-process.ts) on loopback and waits until it
 * answers real SDK calls. The child follows its parent out, so nothing outlives us.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CognitoIdentityProviderClient,
  ListUserPoolsCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import type { EmulatorMessage } from "./emulator-process.ts";

export const EMULATOR_REGION = "us-east-1";

export interface EmulatorOptions {
  /** Folder for the emulator's data (`cognito/`) and log (`cognito-local.log`). */
  dataDir: string;
  host?: string;
  /** A free port is picked when omitted. */
  port?: number;
  startTimeoutMs?: number;
}

export interface Emulator {
  endpoint: string;
  /** The emulator's process id. */
  pid: number;
  logFile: string;
  /** Kills the emulator; resolves once it has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL("./emulator-process.ts", import.meta.url));
const AUTO_PORT_ATTEMPTS = 3;
const KILL_GRACE_MS = 3000;

/** An SDK client for the emulator: admin calls are signed, so they need some credentials. */
export function emulatorClient(endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region: EMULATOR_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  if (options.port !== undefined) {
    return launch(options.dataDir, host, options.port, timeoutMs);
  }
  // cognito-local builds its token issuer from PORT, so port 0 is no good: find one first.
  // Someone may take it before the child binds; then try another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(options.dataDir, host, await freePort(host), timeoutMs);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt === AUTO_PORT_ATTEMPTS) {
        throw error;
      }
    }
  }
}

class PortInUseError extends Error {
  override readonly name = "PortInUseError";
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error) => {
      reject(new Error(`cognito-local cannot listen on ${host}: ${error.message}`));
    });
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function launch(dataDir: string, host: string, port: number, timeoutMs: number) {
  const cwd = join(dataDir, "cognito");
  const logFile = join(dataDir, "cognito-local.log");
  mkdirSync(cwd, { recursive: true });
  const log = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = fork(ENTRY, [], {
      cwd,
      // A clean environment: no DEBUG (it would log tokens), no NODE_OPTIONS (--inspect would
      // clash), no AWS_* settings for cognito-local's own aws-sdk (v2, whose end-of-support
      // notice would be the only line in the log otherwise).
      env: {
        PATH: process.env.PATH ?? "",
        HOST: host,
        PORT: String(port),
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
      },
      execArgv: [],
      stdio: ["ignore", log, log, "ipc"],
      // Its own process group: Ctrl-C reaches only us, and we stop it after draining.
      detached: true,
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const where = `${host}:${port}`;
  try {
    await listening(child, where, logFile, timeoutMs);
    await answering(endpoint, where, logFile, timeoutMs);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }
  // From here on the emulator must not keep us alive: if we exit without stop(), it follows.
  child.unref();
  child.channel?.unref();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= terminate(child, exited);
    return stopping;
  };
  return { endpoint, pid: child.pid ?? 0, logFile, stop };
}

async function listening(child: ChildProcess, where: string, logFile: string, timeoutMs: number) {
  const settled = new AbortController();
  const signal = AbortSignal.any([settled.signal, AbortSignal.timeout(timeoutMs)]);
  let message: EmulatorMessage;
  try {
    message = await Promise.race([
      once(child, "message", { signal }).then(([first]) => first as EmulatorMessage),
      once(child, "exit", { signal }).then(([code, killedBy]) => {
        throw new Error(`exited (${killedBy ?? code}) before listening; see ${logFile}`);
      }),
    ]);
  } catch (error) {
    const reason = signal.aborted
      ? `no answer within ${timeoutMs} ms; see ${logFile}`
      : (error as Error).message;
    throw new Error(`cognito-local could not start on ${where}: ${reason}`);
  } finally {
    settled.abort();
  }
  if (message.type === "failed") {
    throw message.code === "EADDRINUSE"
      ? new PortInUseError(`cognito-local could not listen on ${where}: port already in use`)
      : new Error(`cognito-local could not start on ${where}: ${message.message}`);
  }
}

// Listening is not the same as serving: make one real call before we hand the endpoint out.
async function answering(endpoint: string, where: string, logFile: string, timeoutMs: number) {
  const client = emulatorClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListUserPoolsCommand({ MaxResults: 1 }), {
          abortSignal: AbortSignal.timeout(2000),
        });
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          const reason = error instanceof Error ? error.name : "unknown error";
          throw new Error(`cognito-local on ${where} does not answer (${reason}); see ${logFile}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  child.kill("SIGTERM");
  // This timer also keeps the event loop alive while we wait for the (unref'd) child.
  const timer = setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
