/**
 * Three replicas of the service behind nginx, sharing their rate limits through one Redis:
 * the smallest real picture of production, on loopback. `npm run cluster` and
 * test/system/cluster/ start it; stop() ends every process it started and removes its folder.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Nginx, startNginx } from "./nginx.ts";
import { freePort } from "./ports.ts";
import { type RedisServer, startRedisServer } from "./redis-server.ts";
import { type Replica, startReplica } from "./replica.ts";

export interface ClusterOptions {
  /** COGNITO_* for every replica (an emulator or a fake). */
  cognitoEnv: Record<string, string>;
  /** More settings for every replica, e.g. RATE_LIMIT_PER_MINUTE. */
  env?: Record<string, string>;
  replicas?: number;
  /** nginx's ports; free ones when unset. */
  httpPort?: number;
  grpcPort?: number;
}

export interface Cluster {
  /** nginx's HTTP/1.1 address: REST, Connect and gRPC-Web. */
  httpUrl: string;
  /** nginx's h2c address: gRPC. */
  grpcUrl: string;
  grpcPort: number;
  replicas: Replica[];
  redis: RedisServer;
  nginx: Nginx;
  dir: string;
  /** Every pid started (nginx's process group as minus its master's pid, redis-server, replicas). */
  pids(): number[];
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "auth-cluster-"));
  // nginx's workers run as nobody when it starts as root: they need to reach their temp folders.
  chmodSync(dir, 0o755);
  const started: Array<() => Promise<unknown>> = [];
  const pids: number[] = [];
  // If this process exits without stop() (a crash, process.exit), take the children with it.
  const killLeftovers = () => {
    // A pid of 0 or -1 would signal a whole process group, or every process.
    for (const pid of pids.filter((pid) => pid !== 0 && pid !== -1)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  process.once("exit", killLeftovers);
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop().catch(() => {});
    process.off("exit", killLeftovers);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const redis = await startRedisServer();
    started.push(() => redis.stop());
    pids.push(redis.pid() ?? 0);
    const count = options.replicas ?? 3;
    const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
    const metricsPorts = await Promise.all(Array.from({ length: count }, () => freePort()));
    const env = {
      ...options.cognitoEnv,
      REDIS_URL: redis.url,
      // Behind nginx on loopback: its X-Forwarded-For is believed, so each client is itself.
      TRUST_PROXY: "127.0.0.1",
      LOG_LEVEL: "info",
      ...options.env,
    };
    const settled = await Promise.allSettled(
      ports.map((port, i) => {
        const name = `replica-${i + 1}`;
        const metricsPort = metricsPorts[i] ?? 0;
        return startReplica({ name, port, metricsPort, env, logFile: join(dir, `${name}.log`) });
      }),
    );
    const replicas: Replica[] = [];
    for (const result of settled) {
      if (result.status === "rejected") continue;
      replicas.push(result.value);
      started.push(() => result.value.kill());
      pids.push(result.value.pid);
    }
    const failed = settled.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    const nginx = await startNginx({
      dir,
      httpPort: options.httpPort ?? (await freePort()),
      grpcPort: options.grpcPort ?? (await freePort()),
      replicaPorts: ports,
    });
    started.push(() => nginx.stop());
    pids.push(-nginx.pid); // nginx's process group: master and workers
    return {
      httpUrl: `http://127.0.0.1:${nginx.httpPort}`,
      grpcUrl: `http://127.0.0.1:${nginx.grpcPort}`,
      grpcPort: nginx.grpcPort,
      replicas,
      redis,
      nginx,
      dir,
      pids: () =>
        [-nginx.pid, redis.pid() ?? 0, ...replicas.map((replica) => replica.pid)].filter(
          (pid) => pid !== 0 && pid !== -1,
        ),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
