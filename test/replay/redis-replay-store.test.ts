// The refresh replay shared by two in-process replicas through a real redis-server, against
// the Cognito fake rotating with no reuse grace: any second use upstream is a reuse.
import { hash } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tokenKey } from "../../src/refresh/token-key.ts";
import { JSON_TYPE, type RestResult, restFetch } from "../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../support/fake-cognito/index.ts";
import { metricValue } from "../support/metrics.ts";
import { type RedisServer, skipRedisTests, startRedis } from "../support/redis.ts";
import { type RunningService, startService } from "../support/server.ts";

type Replica = RunningService;

const replicas: Replica[] = [];

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const replica = await startService(env);
  replicas.push(replica);
  return replica;
}

async function replayStore(replica: Replica): Promise<string> {
  const result = await restFetch(replica.url, { method: "GET", path: "/readyz" });
  return (result.body as { replayStore: string }).replayStore;
}

async function storeBecomes(replica: Replica, store: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await replayStore(replica)) !== store) {
    if (Date.now() > deadline) throw new Error(`replayStore never became ${store}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const refresh = (replica: Replica, token: string): Promise<RestResult> =>
  restFetch(replica.url, { headers: JSON_TYPE, body: JSON.stringify({ refresh_token: token }) });

/** A digest of the answer's tokens: compared between answers, and safe to print. */
function tokensOf(result: RestResult): string {
  const { data } = result.body as { data?: Record<string, unknown> };
  return hash("sha256", JSON.stringify([data?.access_token, data?.id_token, data?.refresh_token]));
}

const metric = (replica: Replica, line: string) => metricValue(replica.metricsUrl, line);

describe.skipIf(skipRedisTests)("the refresh replay shared through Redis", () => {
  let fake: FakeCognito;
  let redis: RedisServer;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    fake = await startFakeCognito({ rotate: true, reuseGraceMs: 0 });
    redis = await startRedis();
    const env = {
      ...fake.env,
      REDIS_URL: redis.url,
      RATE_LIMIT_PER_MINUTE: "0",
      UPSTREAM_TIMEOUT_MS: "2000",
      UPSTREAM_ATTEMPT_TIMEOUT_MS: "1500",
    };
    [a, b] = [await startReplica(env), await startReplica(env)];
    await Promise.all([storeBecomes(a, "redis"), storeBecomes(b, "redis")]);
  });

  afterEach(async () => {
    fake.scriptAlways(undefined);
    redis.resume();
    if (!redis.running()) await redis.restart();
  });

  afterAll(async () => {
    await Promise.all(replicas.splice(0).map((replica) => replica.close()));
    await redis?.stop();
    await fake?.close();
  });

  it("makes one upstream call for identical refreshes on two replicas at once", async () => {
    fake.scriptAlways({ delayMs: 300 });
    const token = fake.issueRefreshToken();
    const before = fake.calls();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => refresh(i % 2 ? b : a, token)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(fake.calls() - before).toBe(1);
    expect(new Set(answers.map(tokensOf)).size).toBe(1);
    expect(await metric(b, 'auth_replay_answers_total{how="shared"}')).toBeGreaterThan(0);
  });

  it("gives a second tab on the other replica the same answer later, with no call", async () => {
    const token = fake.issueRefreshToken();
    const first = await refresh(a, token);
    const before = fake.calls();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const second = await refresh(b, token);
    expect(second.status).toBe(200);
    expect(fake.calls()).toBe(before);
    expect(tokensOf(second)).toBe(tokensOf(first));
    const expiresIn = (result: RestResult) =>
      (result.body as { data: { expires_in: number } }).data.expires_in;
    expect(expiresIn(second)).toBeLessThanOrEqual(expiresIn(first));
  });

  it("hands the waiters a refusal as its kind, after one call", async () => {
    fake.scriptAlways({ delayMs: 300 });
    const token = fake.issueRefreshToken();
    fake.setRefreshTokenState(token, "revoked");
    const before = fake.calls();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => refresh(i % 2 ? b : a, token)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(401));
    expect(fake.calls() - before).toBe(1);
  });

  it("takes over a claim whose holder went silent, once the claim lapses", async () => {
    const token = fake.issueRefreshToken();
    const client = new Redis(redis.url);
    // A replica that claimed the call and died: its claim stays until it lapses.
    await client.set(`worth-auth:replay-claim:${tokenKey(token)}`, "dead-replica", "PX", 700);
    await client.quit();
    const before = fake.calls();
    const started = Date.now();
    const answer = await refresh(a, token);
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(fake.calls() - before).toBe(1);
    expect(await metric(a, "auth_replay_takeovers_total")).toBe(1);
  });

  it("keeps no token, JWT or claim in Redis, only sealed values", async () => {
    // A command slower than its 250 ms under load puts a replica on its memory for a while.
    await storeBecomes(a, "redis");
    const token = fake.issueRefreshToken();
    const answer = await refresh(a, token);
    const { data } = answer.body as { data: Record<string, string> };
    const client = new Redis(redis.url);
    const keys = await client.keys("*");
    const values = await Promise.all(
      keys.map(async (key) => ((await client.type(key)) === "string" ? client.get(key) : "")),
    );
    await client.quit();
    const stored = [...keys, ...values].join("\n");
    expect(keys.some((key) => key.startsWith("worth-auth:replay:"))).toBe(true);
    const secrets = [token, data.access_token, data.id_token, data.refresh_token];
    // Booleans only: a failure must not print what it found.
    for (const secret of secrets) expect(stored.includes(secret as string)).toBe(false);
    // A JWT has dots between its parts; sealed values are base64url, which has none, so this
    // cannot match a ciphertext that happens to hold "eyJ".
    const jwt = /eyJ[\w-]+\.[\w-]+\./;
    expect(jwt.test(stored) || /"sub"|cognito:|username/.test(stored), "a JWT or a claim").toBe(
      false,
    );
  });

  it("replays from each replica's memory while Redis is down, and shares again once back", async () => {
    await redis.kill();
    await storeBecomes(a, "memory_fallback");
    const token = fake.issueRefreshToken();
    const first = await refresh(a, token);
    const again = await refresh(a, token);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(tokensOf(again)).toBe(tokensOf(first));
    await redis.restart();
    await Promise.all([storeBecomes(a, "redis"), storeBecomes(b, "redis")]);
    const shared = fake.issueRefreshToken();
    const before = fake.calls();
    const [x, y] = [await refresh(a, shared), await refresh(b, shared)];
    expect(fake.calls() - before).toBe(1);
    expect(tokensOf(y)).toBe(tokensOf(x));
  });
});
