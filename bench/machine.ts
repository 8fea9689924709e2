/** The machine and the code a result was measured on. */
import { execFileSync } from "node:child_process";
import { cpus, release, totalmem } from "node:os";

export interface Machine {
  cpuModel: string;
  cores: number;
  node: string;
  platform: string;
  memoryGiB: number;
}

export interface Commit {
  commit: string;
  /** Uncommitted changes in the working tree when the run started. */
  dirty: boolean;
}

export function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform} ${release()} ${process.arch}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

export function commit(cwd: string): Commit {
  try {
    const sha = execFileSync("git", ["rev-parse", "HEAD"], { cwd, encoding: "utf8" }).trim();
    const status = execFileSync("git", ["status", "--porcelain"], { cwd, encoding: "utf8" });
    return { commit: sha, dirty: status.trim() !== "" };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}
