/** Debian's nginx as a child process, in the foreground, with a configuration of our own. */
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderNginxConf } from "./nginx-conf.ts";
import { accepting } from "./ports.ts";

export const NGINX = "/usr/sbin/nginx";

export const hasNginx = (): boolean => existsSync(NGINX);

export interface Nginx {
  httpPort: number;
  grpcPort: number;
  pid: number;
  /** SIGQUIT (finish open requests), then SIGKILL to the process group if that takes over 5 s. */
  stop(): Promise<void>;
}

export async function startNginx(options: {
  dir: string;
  httpPort: number;
  grpcPort: number;
  replicaPorts: readonly number[];
}): Promise<Nginx> {
  if (!hasNginx()) throw new Error(`${NGINX} not found: apt-get install nginx`);
  const conf = join(options.dir, "nginx.conf");
  writeFileSync(conf, renderNginxConf(options));
  // -e: the error log from the start, not Debian's /var/log/nginx before the config is read.
  const child = spawn(
    NGINX,
    ["-c", conf, "-p", options.dir, "-e", join(options.dir, "nginx-error.log")],
    // Its own process group: workers outlive a killed master, the group goes at once.
    { stdio: ["ignore", "inherit", "inherit"], detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const spawnFailed = new Promise<never>((_, reject) => child.once("error", reject));
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  try {
    await Promise.race([
      spawnFailed,
      (async () => {
        await accepting(options.httpPort, Date.now() + 10_000, "nginx");
        await accepting(options.grpcPort, Date.now() + 10_000, "nginx");
      })(),
    ]);
  } catch (error) {
    killGroup();
    throw error;
  }
  return {
    httpPort: options.httpPort,
    grpcPort: options.grpcPort,
    pid: child.pid ?? -1,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGQUIT");
      const timer = setTimeout(killGroup, 5000);
      await exited;
      clearTimeout(timer);
      killGroup(); // any worker the master left behind
    },
  };
}
