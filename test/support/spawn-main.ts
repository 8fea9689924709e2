import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

export interface MainProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** Resolves once stdout or stderr contains the text. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

export interface SpawnMainOptions {
  /** Node's arguments instead of src/main.ts (another entry, such as the image's CMD). */
  args?: readonly string[];
  cwd?: string;
}

/** Runs src/main.ts (or `args`) as a real process, with only the environment given. */
export function spawnMain(
  env: Record<string, string>,
  options: SpawnMainOptions = {},
): MainProcess {
  const child = spawn(process.execPath, options.args ?? [MAIN], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  const waitFor = (text: string | RegExp, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const found = () =>
        typeof text === "string" ? (out + err).includes(text) : text.test(out + err);
      const timer = setInterval(() => {
        if (found()) {
          clearInterval(timer);
          resolve();
        } else if (child.exitCode !== null || Date.now() - started > timeoutMs) {
          clearInterval(timer);
          reject(new Error(`main did not print ${String(text)} (exit ${child.exitCode})`));
        }
      }, 25);
      const started = Date.now();
    });
  return { child, stdout: () => out, stderr: () => err, exited, waitFor };
}
