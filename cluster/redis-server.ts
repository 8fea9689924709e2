/** Debian's redis-server as a child process on a loopback port: no persistence, no config file. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { accepting, freePort } from "./ports.ts";

export const REDIS_SERVER = "/usr/bin/redis-server";

export const hasRedisServer = (): boolean => existsSync(REDIS_SERVER);

export interface RedisServer {
  url: string;
  port: number;
  pid(): number | undefined;
  /** SIGSTOP: the socket stays open but nothing answers, like a hung Redis. */
  pause(): void;
  resume(): void;
  /** SIGKILL (no goodbye to clients); resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  running(): boolean;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  if (!hasRedisServer()) {
    throw new Error(`${REDIS_SERVER} not found: apt-get install redis-server`);
  }
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"];
    child = spawn(REDIS_SERVER, [...args, "no", "--loglevel", "warning"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    await accepting(port, Date.now() + 10_000, "redis-server");
  };
  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGCONT");
    running.kill("SIGKILL");
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => child?.pid,
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    kill,
    restart: launch,
    running: () => child !== undefined,
    stop: kill,
  };
}
