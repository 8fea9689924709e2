// The rate limits counted in a real redis-server shared by two in-process replicas, and the
// in-memory fallback when that Redis dies, hangs, or was never there.
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Service } from "../../src/server.ts";
import { JSON_TYPE, restFetch } from "../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../support/fake-cognito/index.ts";
import { metricValue } from "../support/metrics.ts";
import { closedPort } from "../support/ports.ts";
import { type RedisServer, skipRedisTests, startRedis } from "../support/redis.ts";
import { startService } from "../support/server.ts";

interface Replica {
  url: string;
  metricsUrl: string;
  app: Service;
  log(): Array<Record<string, unknown>>;
}

const replicas: Replica[] = [];

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const service = await startService(env, { logLevel: "info", logCapture: true });
  const replica = {
    url: service.url,
    metricsUrl: service.metricsUrl,
    app: service.app,
    log: service.log.lines,
  };
  replicas.push(replica);
  return replica;
}

async function readyz(replica: Replica): Promise<{ status: string; rateLimitStore: string }> {
  const result = await restFetch(replica.url, { method: "GET", path: "/readyz" });
  return result.body as { status: string; rateLimitStore: string };
}

/** Polls until the replica reports the store (Redis connects and reconnects on its own). */
async function storeBecomes(replica: Replica, store: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await readyz(replica)).rateLimitStore !== store) {
    if (Date.now() > deadline) throw new Error(`rateLimitStore never became ${store}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const refresh = (replica: Replica, token: string) =>
  restFetch(replica.url, {
    headers: JSON_TYPE,
    body: JSON.stringify({ refresh_token: token }),
  });

const metric = (replica: Replica, line: string) => metricValue(replica.metricsUrl, line);

describe.skipIf(skipRedisTests)("rate limits shared through Redis", () => {
  let fake: FakeCognito;
  let redis: RedisServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeCognito();
    redis = await startRedis();
  });

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((replica) => replica.app.close(2000)));
    redis.resume();
    if (!redis.running()) await redis.restart();
  });

  afterAll(async () => {
    await redis?.stop();
    await fake?.close();
  });

  const settings = () => ({
    ...fake.env,
    REDIS_URL: redis.url,
    UPSTREAM_TIMEOUT_MS: "2000",
    UPSTREAM_ATTEMPT_TIMEOUT_MS: "500",
  });

  it("holds one per-address limit across two replicas, not one per replica", async () => {
    // A fresh key space per test: the address is the same loopback for every test.
    env = { ...settings(), RATE_LIMIT_PER_MINUTE: "6", REDIS_URL: `${redis.url}/1` };
    const [a, b] = [await startReplica(env), await startReplica(env)] as [Replica, Replica];
    await Promise.all([storeBecomes(a, "redis"), storeBecomes(b, "redis")]);
    const token = fake.issueRefreshToken();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await refresh(i % 2 ? b : a, token)).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(6);
    expect(statuses.slice(6)).toEqual([429, 429, 429, 429, 429, 429]);
    expect(await metric(a, 'auth_rate_limit_store{store="redis"}')).toBe(1);
    expect(await metric(a, "auth_rate_limit_fallback_total")).toBe(0);
  });

  it("counts each replica alone without REDIS_URL (what the shared store prevents)", async () => {
    const { REDIS_URL: _, ...memoryOnly } = { ...settings(), RATE_LIMIT_PER_MINUTE: "6" };
    const [a, b] = [await startReplica(memoryOnly), await startReplica(memoryOnly)];
    const token = fake.issueRefreshToken();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await refresh(i % 2 ? b : a, token)).status);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect((await readyz(a as Replica)).rateLimitStore).toBe("memory");
  });

  it("shares a refused token's failure count, so a second replica refuses it too", async () => {
    env = { ...settings(), RATE_LIMIT_FAILURES_PER_TOKEN: "3", REDIS_URL: `${redis.url}/2` };
    const [a, b] = [await startReplica(env), await startReplica(env)] as [Replica, Replica];
    await Promise.all([storeBecomes(a, "redis"), storeBecomes(b, "redis")]);
    const token = fake.issueRefreshToken();
    fake.setRefreshTokenState(token, "revoked");
    const before = fake.calls();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await refresh(i % 2 ? b : a, token)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(fake.calls() - before).toBe(3);
    // Redis holds a digest of the token, never the token.
    const client = new Redis(`${redis.url}/2`);
    const keys = await client.keys("*");
    await client.quit();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => key.startsWith("worth-auth:rl:"))).toBe(true);
    expect(keys.filter((key) => key.startsWith("worth-auth:rl:token-failures:"))).toHaveLength(1);
    expect(keys.some((key) => key.includes(token.slice(0, 16)))).toBe(false);
  });

  it("keeps serving in memory when Redis dies, says so, and goes back when it returns", async () => {
    env = { ...settings(), RATE_LIMIT_PER_MINUTE: "4", REDIS_URL: `${redis.url}/3` };
    const replica = await startReplica(env);
    await storeBecomes(replica, "redis");
    await redis.kill();
    await storeBecomes(replica, "memory_fallback");
    expect(await readyz(replica)).toEqual({
      status: "ready",
      rateLimitStore: "memory_fallback",
      replayStore: "memory_fallback",
    });
    const token = fake.issueRefreshToken();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await refresh(replica, token)).status);
    // Still limited, by this replica's own count.
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(await metric(replica, 'auth_rate_limit_store{store="memory_fallback"}')).toBe(1);
    expect(await metric(replica, 'auth_rate_limit_store{store="redis"}')).toBe(0);
    expect(await metric(replica, "auth_rate_limit_fallback_total")).toBeGreaterThanOrEqual(6);
    const warning = replica.log().find((line) => line.rateLimitStore === "memory_fallback");
    expect(warning).toMatchObject({ level: "warn", reason: expect.any(String) });
    expect(JSON.stringify(replica.log())).not.toContain(token.slice(0, 16));

    await redis.restart();
    await storeBecomes(replica, "redis");
    const lines = replica.log().filter((line) => typeof line.rateLimitStore === "string");
    expect(lines.map((line) => [line.level, line.rateLimitStore])).toEqual([
      ["info", "redis"],
      ["warn", "memory_fallback"],
      ["info", "redis"],
    ]);
    expect((await refresh(replica, fake.issueRefreshToken())).status).toBe(200);
  });

  it("answers from memory instead of waiting on a Redis that hangs", async () => {
    env = { ...settings(), RATE_LIMIT_PER_MINUTE: "100", REDIS_URL: `${redis.url}/4` };
    const replica = await startReplica(env);
    await storeBecomes(replica, "redis");
    redis.pause();
    const result = await refresh(replica, fake.issueRefreshToken());
    expect(result.status).toBe(200);
    expect((await readyz(replica)).rateLimitStore).toBe("memory_fallback");
    expect(await metric(replica, "auth_rate_limit_fallback_total")).toBeGreaterThanOrEqual(1);
    redis.resume();
    await refresh(replica, fake.issueRefreshToken());
    await storeBecomes(replica, "redis");
  });

  it("starts, becomes ready and serves when Redis is unreachable from the start", async () => {
    const unreachable = `redis://:s3cretpassw0rd@127.0.0.1:${await closedPort()}`;
    const replica = await startReplica({ ...settings(), REDIS_URL: unreachable });
    await storeBecomes(replica, "memory_fallback");
    expect(await readyz(replica)).toEqual({
      status: "ready",
      rateLimitStore: "memory_fallback",
      replayStore: "memory_fallback",
    });
    expect((await refresh(replica, fake.issueRefreshToken())).status).toBe(200);
    const warnings = replica.log().filter((line) => line.rateLimitStore === "memory_fallback");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.reason).toBe("ECONNREFUSED");
    expect(JSON.stringify(replica.log())).not.toContain("s3cretpassw0rd");
  });

  it("stays in memory, without flapping, while Redis answers but refuses writes", async () => {
    env = { ...settings(), RATE_LIMIT_PER_MINUTE: "100", REDIS_URL: `${redis.url}/5` };
    const replica = await startReplica(env);
    await storeBecomes(replica, "redis");
    // A read-only replica, as after a failover: PING works, the limiter's writes do not.
    const admin = new Redis(redis.url);
    try {
      await admin.call("REPLICAOF", "127.0.0.1", "1");
      expect((await refresh(replica, fake.issueRefreshToken())).status).toBe(200);
      await storeBecomes(replica, "memory_fallback");
      // Two probe intervals: the probe writes too, so it must not declare Redis back.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect((await readyz(replica)).rateLimitStore).toBe("memory_fallback");
      const changes = replica.log().filter((line) => typeof line.rateLimitStore === "string");
      expect(changes.map((line) => [line.rateLimitStore, line.reason])).toEqual([
        ["redis", undefined],
        ["memory_fallback", "READONLY"],
      ]);
      await admin.call("REPLICAOF", "NO", "ONE");
      await storeBecomes(replica, "redis");
    } finally {
      await admin.call("REPLICAOF", "NO", "ONE").catch(() => {});
      await admin.quit();
    }
  });
});
