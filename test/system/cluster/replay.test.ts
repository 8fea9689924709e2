// The refresh replay across three replicas behind nginx, sharing one Redis, against the
// Cognito fake rotating with no reuse grace: any second use of a token upstream is a reuse
// and signs the customer out. Every face: REST, Connect and gRPC through nginx.
import { hash } from "node:crypto";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster } from "../../../cluster/cluster.ts";
import { hasNginx } from "../../../cluster/nginx.ts";
import { hasRedisServer } from "../../../cluster/redis-server.ts";
import { AuthService } from "../../../gen/worth/auth/v1/auth_service_pb.ts";
import { REST_PATH } from "../../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { metricValue } from "../../support/metrics.ts";

const skip = !(hasNginx() && hasRedisServer()) && process.env.CI !== "true";
const WINDOW_SECONDS = 4;
const UPSTREAM_TIMEOUT_MS = 2000;
// The claim outlives the upstream call by a second (src/app.ts).
const CLAIM_MS = UPSTREAM_TIMEOUT_MS + 1000;

/** Tokens are compared by digest: a failing comparison must not print them. */
const digest = (tokens: unknown[]) => hash("sha256", JSON.stringify(tokens));

interface Reply {
  /** HTTP status, or the RPC code's name. */
  outcome: string;
  /** A digest of the tokens answered. */
  tokens?: string;
}

type Face = (token: string, base?: string, signal?: AbortSignal) => Promise<Reply>;

describe.skipIf(skip)("the refresh replay across three replicas", () => {
  let fake: FakeCognito;
  let cluster: Cluster;
  let faces: Record<"rest" | "connect" | "grpc", Face>;

  const metric = async (port: number, line: string) =>
    (await metricValue(`http://127.0.0.1:${port}`, line)) ?? Number.NaN;

  beforeAll(async () => {
    fake = await startFakeCognito({ rotate: true, reuseGraceMs: 0 });
    cluster = await startCluster({
      cognitoEnv: fake.env,
      env: {
        RATE_LIMIT_PER_MINUTE: "0",
        REFRESH_REPLAY_SECONDS: String(WINDOW_SECONDS),
        UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
        UPSTREAM_ATTEMPT_TIMEOUT_MS: "1800",
      },
    });
    const rpc = (transport: Transport): Face => {
      const client = createClient(AuthService, transport);
      return async (token, _base, signal) => {
        try {
          const reply = await client.refreshCustomerToken({ refreshToken: token }, { signal });
          const { accessToken, idToken, refreshToken } = reply;
          return { outcome: "ok", tokens: digest([accessToken, idToken, refreshToken]) };
        } catch (error) {
          return { outcome: Code[ConnectError.from(error).code] ?? "unknown" };
        }
      };
    };
    faces = {
      async rest(token, base = cluster.httpUrl, signal) {
        try {
          const response = await fetch(`${base}${REST_PATH}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ refresh_token: token }),
            signal,
          });
          const body = (await response.json()) as { data?: Record<string, unknown> };
          const data = body.data;
          const tokens = data && digest([data.access_token, data.id_token, data.refresh_token]);
          return { outcome: String(response.status), tokens };
        } catch (error) {
          return { outcome: (error as Error).name };
        }
      },
      connect: rpc(createConnectTransport({ baseUrl: cluster.httpUrl, httpVersion: "1.1" })),
      grpc: rpc(createGrpcTransport({ baseUrl: cluster.grpcUrl })),
    };
  });

  afterAll(async () => {
    await cluster?.stop();
    await fake?.close();
  });

  it("makes one upstream call for 30 identical refreshes over every face and replica", async () => {
    fake.scriptAlways({ delayMs: 300 });
    const token = fake.issueRefreshToken();
    const before = fake.calls();
    const order = [faces.rest, faces.connect, faces.grpc];
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (order[i % 3] as Face)(token)),
    );
    fake.scriptAlways(undefined);
    expect(replies.filter((reply) => reply.outcome !== "200" && reply.outcome !== "ok")).toEqual(
      [],
    );
    const calls = await Promise.all(
      cluster.replicas.map((r) =>
        metric(
          r.metricsPort,
          'auth_upstream_requests_total{operation="GetTokensFromRefreshToken",outcome="success"}',
        ),
      ),
    );
    expect({ calls: fake.calls() - before, byReplica: calls }).toEqual({
      calls: 1,
      byReplica: calls,
    });
    expect(new Set(replies.map((reply) => reply.tokens)).size).toBe(1);
    const shared = await Promise.all(
      cluster.replicas.map((r) => metric(r.metricsPort, 'auth_replay_answers_total{how="shared"}')),
    );
    // nginx spread them: other replicas waited for the one that called.
    expect(shared.filter((count) => count > 0).length).toBeGreaterThanOrEqual(1);
  });

  it("gives a second tab 2 s later the same answer, with no upstream call", async () => {
    const token = fake.issueRefreshToken();
    const first = await faces.rest(token);
    const before = fake.calls();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const second = await faces.grpc(token);
    expect([first.outcome, second.outcome]).toEqual(["200", "ok"]);
    expect(second.tokens).toBe(first.tokens);
    expect(fake.calls()).toBe(before);
  });

  it("answers a retry after a lost answer with that answer, from one call in all", async () => {
    fake.scriptAlways({ delayMs: 600 });
    const token = fake.issueRefreshToken();
    const before = fake.calls();
    const lost = await faces.rest(token, cluster.httpUrl, AbortSignal.timeout(200));
    expect(lost.outcome).toMatch(/Abort|Timeout/);
    const retry = await faces.rest(token);
    fake.scriptAlways(undefined);
    const third = await faces.connect(token);
    expect([retry.outcome, third.outcome]).toEqual(["200", "ok"]);
    expect(third.tokens).toBe(retry.tokens);
    expect(fake.calls() - before).toBe(1);
  });

  it("sends the old token upstream after the window, where it is refused as a reuse", async () => {
    const token = fake.issueRefreshToken();
    expect((await faces.rest(token)).outcome).toBe("200");
    await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 + 200));
    const before = fake.calls();
    const late = await faces.rest(token);
    expect(late.outcome).toBe("401");
    expect(fake.calls() - before).toBe(1);
  });

  it("answers every waiter when the replica holding the call is killed mid-call", async () => {
    fake.scriptAlways({ delayMs: 1500 });
    const token = fake.issueRefreshToken();
    const [holder, ...others] = cluster.replicas;
    if (!holder) throw new Error("no replicas");
    const direct = (port: number) => `http://127.0.0.1:${port}`;
    const started = Date.now();
    const held = faces.rest(token, direct(holder.port));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const waiters = others.flatMap((replica) =>
      [0, 1].map(() =>
        faces.rest(token, direct(replica.port)).then((r) => [r, Date.now()] as const),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await holder.kill();
    const answered = await Promise.all(waiters);
    fake.scriptAlways(undefined);
    expect((await held).outcome).not.toBe("200");
    for (const [reply, at] of answered) {
      expect(["200", "401", "503"]).toContain(reply.outcome);
      expect(at - started).toBeLessThan(UPSTREAM_TIMEOUT_MS + CLAIM_MS + 1500);
    }
    const takeovers = await Promise.all(
      others.map((replica) => metric(replica.metricsPort, "auth_replay_takeovers_total")),
    );
    expect(takeovers.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(1);
  });
});
