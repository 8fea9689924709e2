/**
 * Child processes for the bench: servers under test and the fake run each in their own process,
 * pinned to a core with taskset when it exists, and answer the runner's commands over IPC
 * (their CPU time and peak RSS among them). Every child exits when the runner goes away.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";

export interface Command {
  id: number;
  cmd: string;
  [key: string]: unknown;
}

export interface Usage {
  /** process.cpuUsage(): user + system, in microseconds. */
  cpuUs: number;
  /** process.resourceUsage().maxRSS: the peak resident set so far, in bytes. */
  maxRssBytes: number;
  rssBytes: number;
  /**
   * How long the event loop was held up since the last ask, beyond the sampling timer's own
   * period (node's histogram counts the period itself: an idle loop reads 10 ms, not 0).
   */
  loopDelayMs: { p99: number; max: number };
  /** Garbage collections since the last ask: how many, their longest pause, their sum. */
  gc: { count: number; maxMs: number; totalMs: number };
}

const LOOP_RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
loopDelay.enable();
const gc = { count: 0, maxMs: 0, totalMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ["gc"] });

const beyondPeriod = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);

export function usage(): Usage {
  const cpu = process.cpuUsage();
  const result: Usage = {
    cpuUs: cpu.user + cpu.system,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    rssBytes: process.memoryUsage.rss(),
    loopDelayMs: {
      p99: loopDelay.count > 0 ? beyondPeriod(loopDelay.percentile(99)) : 0,
      max: loopDelay.count > 0 ? beyondPeriod(loopDelay.max) : 0,
    },
    gc: { ...gc },
  };
  loopDelay.reset();
  gc.count = 0;
  gc.maxMs = 0;
  gc.totalMs = 0;
  return result;
}

/**
 * In a child: tell the runner we are ready (with `ready`'s fields) and answer its commands.
 * "usage" and "exit" are built in; anything else goes to `handle`.
 */
export function serveCommands(
  ready: Record<string, unknown>,
  handle: (message: Command) => unknown,
  onExit: () => Promise<void> | void = () => undefined,
): void {
  const send = (message: unknown) => process.send?.(message);
  process.on("disconnect", () => process.exit(0));
  process.on("message", (message: Command) => {
    void (async () => {
      try {
        if (message.cmd === "usage") {
          send({ id: message.id, result: usage() });
        } else if (message.cmd === "exit") {
          await onExit();
          process.send?.({ id: message.id, result: true }, () => process.exit(0));
        } else {
          send({ id: message.id, result: await handle(message) });
        }
      } catch (error) {
        send({ id: message.id, error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  send({ type: "ready", ...ready });
}

let tasksetChecked: boolean | undefined;

/** Whether taskset can pin processes here (util-linux, Linux only). */
export function hasTaskset(): boolean {
  tasksetChecked ??= spawnSync("taskset", ["-p", String(process.pid)]).status === 0;
  return tasksetChecked;
}

/** Pins this process (all its threads) to `cpus`, e.g. "1" or "1-3"; false when it cannot. */
export function pinSelf(cpus: string): boolean {
  if (!hasTaskset()) {
    return false;
  }
  return spawnSync("taskset", ["-a", "-p", "-c", cpus, String(process.pid)]).status === 0;
}

/** The command line that runs `args` under node, pinned to `cpus` when given and possible. */
export function pinned(cpus: string | undefined, args: string[]): [string, string[]] {
  if (cpus !== undefined && hasTaskset()) {
    return ["taskset", ["-c", cpus, process.execPath, ...args]];
  }
  return [process.execPath, args];
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Whatever way the runner ends, nothing it started outlives it.
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

/** Kills every child still running (the runner's own cleanup on failure). */
export function killAll(): void {
  for (const child of live) child.kill("SIGKILL");
  live.clear();
}

export interface Child {
  name: string;
  pid: number;
  ready: Record<string, unknown>;
  request<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  usage(): Promise<Usage>;
  /** Asks the child to exit, and kills it if it has not within a few seconds. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  args?: string[];
  env: Record<string, string>;
  cpus?: string | undefined;
  /** Node options before the entry, e.g. --cpu-prof. */
  execArgv?: string[];
  readyTimeoutMs?: number;
}

/** Starts `entry` (a .ts file) under this Node in its own process and waits for its "ready". */
export function spawnChild(entry: string, options: SpawnOptions): Promise<Child> {
  installExitHook();
  const [file, args] = pinned(options.cpus, [
    ...(options.execArgv ?? []),
    entry,
    ...(options.args ?? []),
  ]);
  const child = spawn(file, args, {
    env: options.env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => live.delete(child));
  const pending = new Map<number, { resolve(value: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`${options.name} did not start within ${options.readyTimeoutMs ?? 30000} ms`),
      );
    }, options.readyTimeoutMs ?? 30_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const error = new Error(`${options.name} exited (${code ?? signal})`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
    child.on(
      "message",
      (message: { type?: string; id?: number; result?: unknown; error?: string }) => {
        if (message.type === "ready") {
          clearTimeout(timer);
          const request = <T>(cmd: string, extra: Record<string, unknown> = {}) =>
            new Promise<T>((resolveRequest, rejectRequest) => {
              const id = nextId++;
              pending.set(id, {
                resolve: resolveRequest as (value: unknown) => void,
                reject: rejectRequest,
              });
              child.send({ id, cmd, ...extra });
            });
          const { type: _type, ...ready } = message;
          resolve({
            name: options.name,
            pid: child.pid ?? 0,
            ready,
            request,
            usage: () => request<Usage>("usage"),
            async stop() {
              if (child.exitCode !== null || child.signalCode !== null) return;
              const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
              try {
                await request("exit");
              } catch {
                // Already gone.
              }
              await exited;
              clearTimeout(kill);
            },
          });
          return;
        }
        const waiter = message.id === undefined ? undefined : pending.get(message.id);
        if (waiter && message.id !== undefined) {
          pending.delete(message.id);
          if (message.error !== undefined) waiter.reject(new Error(message.error));
          else waiter.resolve(message.result);
        }
      },
    );
  });
}
