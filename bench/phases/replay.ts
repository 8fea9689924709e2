/**
 * The refresh replay, measured:
 * - tabs: one customer's 10 tabs refreshing at once, 5 times (a new token each time, as after
 *   a rotation), then each time again a second later, over REST and gRPC through nginx to 3
 *   replicas sharing Redis. Target: 1 provider call per distinct token.
 * - soak: many refreshes (a third of them repeats within the window) over REST, Connect and
 *   gRPC to one service process. Its memory after warm-up, the store against its bound, and
 *   every answer's status.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { startCluster } from "../../cluster/cluster.ts";
import { hasNginx } from "../../cluster/nginx.ts";
import { freePort } from "../../cluster/ports.ts";
import { hasRedisServer } from "../../cluster/redis-server.ts";
import { startReplica } from "../../cluster/replica.ts";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { tokenSequence } from "../load/tokens.ts";
import { REST_PATH } from "../servers/bytes.ts";
import type { BenchContext } from "./context.ts";

export interface ReplayResult {
  tabs:
    | { tabs: number; rounds: number; distinctTokens: number; providerCalls: number; ok: number }
    | { skipped: string };
  soak: {
    refreshes: number;
    statuses: Record<string, number>;
    rssAfterWarmupMb: number;
    rssAtEndMb: number;
    rssGrowthPercent: number;
    /** RSS every tenth of the run, MB. */
    rssSamplesMb: number[];
    storeEntries: number;
    storeBound: number;
    seconds: number;
  };
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((entry) => entry.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1) ?? Number.NaN);
}

function faces(url: string, grpcUrl: string) {
  const connect = createClient(
    AuthService,
    createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
  );
  const grpc = createClient(AuthService, createGrpcTransport({ baseUrl: grpcUrl }));
  return async (token: string, face: number): Promise<string> => {
    try {
      if (face === 0) {
        const response = await fetch(`${url}${REST_PATH}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ refresh_token: token }),
        });
        await response.arrayBuffer();
        return String(response.status);
      }
      await (face === 1 ? connect : grpc).refreshCustomerToken({ refreshToken: token });
      return "200";
    } catch (error) {
      return (error as Error).name;
    }
  };
}

async function tabs(context: BenchContext, cognitoEnv: Record<string, string>) {
  if (!hasNginx() || !hasRedisServer()) return { skipped: "nginx or redis-server not installed" };
  const { fake, fakeStats } = context;
  await fake.request("latency", { ms: 50 });
  const cluster = await startCluster({ cognitoEnv, env: { RATE_LIMIT_PER_MINUTE: "0" } });
  try {
    const refresh = faces(cluster.httpUrl, cluster.grpcUrl);
    const next = tokenSequence("tab-");
    const [TABS, ROUNDS] = [10, 5];
    const before = await fakeStats();
    let ok = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const token = next();
      for (const wave of [0, 1]) {
        if (wave === 1) await new Promise((resolve) => setTimeout(resolve, 1000));
        const answers = await Promise.all(
          Array.from({ length: TABS }, (_, tab) => refresh(token, tab % 2 === 0 ? 0 : 2)),
        );
        ok += answers.filter((status) => status === "200").length;
      }
    }
    const providerCalls = (await fakeStats()).calls - before.calls;
    context.options.log(
      `${TABS} tabs x ${ROUNDS} refreshes (x2 waves) over 3 replicas: ${providerCalls} provider call(s) for ${ROUNDS} tokens`,
    );
    return { tabs: TABS, rounds: ROUNDS, distinctTokens: ROUNDS, providerCalls, ok };
  } finally {
    await cluster.stop();
    await fake.request("latency", { ms: 0 });
  }
}

export interface SoakOptions {
  cognitoEnv: Record<string, string>;
  refreshes: number;
  /** REFRESH_REPLAY_MAX_ENTRIES for the soaked service. */
  bound: number;
  /** Refreshes before memory is first read: the heap and the store fill up meanwhile. */
  warmup: number;
  /** A fresh refresh token the provider accepts. */
  nextToken: () => string;
  log: (line: string) => void;
}

/** The soak, also run short by the tests (test/system/load/replay-soak.test.ts). */
export async function soak(options: SoakOptions): Promise<ReplayResult["soak"]> {
  const { cognitoEnv, refreshes, bound: BOUND, nextToken: next } = options;
  const [port, metricsPort] = [await freePort(), await freePort()];
  const replica = await startReplica({
    name: "soak",
    port,
    metricsPort,
    env: {
      ...cognitoEnv,
      LOG_LEVEL: "warn",
      RATE_LIMIT_PER_MINUTE: "0",
      REFRESH_REPLAY_MAX_ENTRIES: String(BOUND),
    },
    logFile: "/dev/null",
    sharesRedis: false,
  });
  const started = performance.now();
  try {
    const url = `http://127.0.0.1:${port}`;
    const refresh = faces(url, url);
    const statuses: Record<string, number> = {};
    const recent: string[] = [];
    let rssAfterWarmup = 0;
    const samples: number[] = [];
    const every = Math.max(60, Math.floor(refreshes / 10));
    for (let sent = 0; sent < refreshes; sent += 60) {
      const batch = Array.from({ length: Math.min(60, refreshes - sent) }, (_, i) => {
        // Every third a repeat of a token refreshed moments ago (a tab, a retry).
        const token =
          i % 3 === 2 && recent.length > 0 ? (recent[i % recent.length] as string) : next();
        recent.push(token);
        return refresh(token, (sent + i) % 3);
      });
      recent.splice(0, Math.max(0, recent.length - 200));
      for (const status of await Promise.all(batch)) statuses[status] = (statuses[status] ?? 0) + 1;
      if (Math.floor((sent + 60) / every) > Math.floor(sent / every)) {
        samples.push(mb(await metric(metricsPort, "process_resident_memory_bytes")));
      }
      if (rssAfterWarmup === 0 && sent >= options.warmup) {
        rssAfterWarmup = await metric(metricsPort, "process_resident_memory_bytes");
      }
    }
    const rssAtEnd = await metric(metricsPort, "process_resident_memory_bytes");
    const result = {
      refreshes,
      statuses,
      rssAfterWarmupMb: mb(rssAfterWarmup),
      rssAtEndMb: mb(rssAtEnd),
      rssGrowthPercent: Math.round(((rssAtEnd - rssAfterWarmup) / rssAfterWarmup) * 1000) / 10,
      rssSamplesMb: samples,
      storeEntries: await metric(metricsPort, "auth_replay_entries"),
      storeBound: BOUND,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
    options.log(
      `soak: ${refreshes} refreshes, RSS ${result.rssAfterWarmupMb} -> ${result.rssAtEndMb} MB (${result.rssGrowthPercent} %), store ${result.storeEntries}/${BOUND}`,
    );
    return result;
  } finally {
    await replica.drain();
  }
}

export async function replay(
  context: BenchContext,
  cognitoEnv: Record<string, string>,
  soakRefreshes: number,
): Promise<ReplayResult> {
  return {
    tabs: await tabs(context, cognitoEnv),
    soak: await soak({
      cognitoEnv,
      refreshes: soakRefreshes,
      bound: 2000,
      warmup: soakRefreshes / 5,
      nextToken: tokenSequence("soak-"),
      log: context.options.log,
    }),
  };
}

export function replayLines(result: ReplayResult | undefined): string[] {
  if (!result) return [];
  const { tabs: t, soak: s } = result;
  const tabsLine =
    "skipped" in t
      ? `- tabs: skipped (${t.skipped})`
      : `- ${t.tabs} tabs x ${t.rounds} refreshes, each again 1 s later, over 3 replicas: ${t.providerCalls} provider call(s) for ${t.distinctTokens} distinct tokens (${t.ok}/${2 * t.tabs * t.rounds} answered 200)`;
  return [
    "",
    "The refresh replay:",
    "",
    tabsLine,
    `- soak: ${s.refreshes} refreshes (a third repeats) over REST, Connect and gRPC in ${s.seconds} s: ` +
      `statuses ${JSON.stringify(s.statuses)}; RSS ${s.rssAfterWarmupMb} MB after warm-up, ${s.rssAtEndMb} MB at the end (${s.rssGrowthPercent} %); store ${s.storeEntries} of ${s.storeBound}`,
  ];
}
