// Three replicas (real src/main.ts processes) behind Debian's nginx, sharing rate limits in
// Debian's redis-server, against the Cognito fake: spread, one global limit, a replica killed
// mid-load, a replica drained under load, and nothing left running at the end.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster } from "../../../cluster/cluster.ts";
import { hasNginx } from "../../../cluster/nginx.ts";
import { hasRedisServer } from "../../../cluster/redis-server.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { type Answer, type Clients, createClients, otherThanGrpcOn, runLoad } from "./load.ts";

const missing = [hasNginx() ? "" : "nginx", hasRedisServer() ? "" : "redis-server"].filter(Boolean);
const skip = missing.length > 0 && process.env.CI !== "true";
if (skip) {
  process.stdout.write(
    `cluster tests skipped: ${missing.join(", ")} not found (apt-get install)\n`,
  );
}

const LIMIT = 30;
/** How long after a replica died nginx may still send a request down a connection to it. */
const STALE_CONNECTION_MS = 500;

describe.skipIf(skip)("three replicas behind nginx, limits shared in Redis", () => {
  let fake: FakeCognito;
  let cluster: Cluster;
  let clients: Clients;

  beforeAll(async () => {
    fake = await startFakeCognito();
    // Each refresh takes 20 ms upstream, so a replica always has requests in flight under load.
    fake.scriptAlways({ delayMs: 20 });
    cluster = await startCluster({
      cognitoEnv: fake.env,
      env: { RATE_LIMIT_PER_MINUTE: String(LIMIT), SHUTDOWN_TIMEOUT_MS: "5000" },
    });
    clients = createClients(cluster);
  });

  afterAll(async () => {
    await cluster?.stop();
    await fake?.close();
  });

  const portOf = (name: string) => cluster.replicas.find((r) => r.name === name)?.port;

  it("spreads requests over all three replicas, over HTTP/1.1 and gRPC", async () => {
    const token = fake.issueRefreshToken();
    const rest: Answer[] = [];
    const grpc: Answer[] = [];
    for (let i = 0; i < 30; i++) {
      rest.push(await clients.rest(token, `10.1.0.${i}`));
      grpc.push(await clients.grpc(token, `10.2.0.${i}`));
    }
    for (const answers of [rest, grpc]) {
      expect(answers.filter((answer) => !answer.ok)).toEqual([]);
      const counts = countBy(answers.map((answer) => answer.replica));
      expect(Object.keys(counts).sort()).toEqual(
        cluster.replicas.map((r) => String(r.port)).sort(),
      );
      for (const count of Object.values(counts)) expect(count).toBeGreaterThanOrEqual(5);
    }
  });

  it("has each replica's metrics scraped on its own port, and none through nginx", async () => {
    for (const replica of cluster.replicas) {
      const text = await (await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`)).text();
      expect(text).toMatch(/^auth_requests_total\{/m);
    }
    const viaNginx = await fetch(`${cluster.httpUrl}/metrics`);
    expect(viaNginx.status).toBe(404);
    await viaNginx.body?.cancel();
  });

  it(`holds ${LIMIT} a minute per client address across the replicas, not ${LIMIT} each`, async () => {
    const token = fake.issueRefreshToken();
    const answers: Answer[] = [];
    for (let i = 0; i < 2 * LIMIT; i++) {
      answers.push(await (i % 3 === 2 ? clients.grpc : clients.rest)(token, "203.0.113.7"));
    }
    expect(answers.filter((answer) => answer.ok)).toHaveLength(LIMIT);
    expect(answers.slice(LIMIT).every((answer) => answer.refused)).toBe(true);
    // Every replica both served and refused: the count was one count, not three.
    const served = new Set(answers.filter((a) => a.ok).map((a) => a.replica));
    const refused = new Set(answers.filter((a) => a.refused).map((a) => a.replica));
    expect(served.size).toBe(3);
    expect(refused.size).toBe(3);
  });

  it("loses no request nginx could retry when a replica is killed mid-load", async () => {
    const victim = cluster.replicas[2];
    if (!victim) throw new Error("no third replica");
    let goneAt = 0;
    const answers = await runLoad(clients, fake, {
      at: 800,
      action: async () => {
        await victim.kill();
        goneAt = Date.now();
      },
      afterMs: 1700,
    });
    expect(await victim.exited).toBe("SIGKILL");
    const victimPort = String(victim.port);
    // REST bodies are buffered by nginx: one that dies with the replica is sent to another.
    expect(answers.filter((answer) => answer.via === "rest" && !answer.ok)).toEqual([]);
    // A gRPC request streams its body through nginx, which therefore cannot replay it: the
    // only ones lost are those the killed replica was answering, ended with UNAVAILABLE, a
    // code gRPC clients retry. Anything else lost would be a failure of the cluster.
    const lost = answers.filter((answer) => !answer.ok);
    const seen = JSON.stringify({ goneAt, lost });
    // When the replica had begun answering, nginx has passed its headers on and can only
    // reset the stream (INTERNAL_ERROR; connect-node says Internal, with no header to tell
    // which replica). Seen in about 1 run in 10 with another process busy on one core.
    const reset = (a: Answer) =>
      a.outcome === `Internal: Stream closed with error code NGHTTP2_INTERNAL_ERROR` &&
      a.startedAt <= goneAt;
    expect(
      otherThanGrpcOn(
        victimPort,
        lost.filter((a) => !reset(a)),
      ),
      seen,
    ).toEqual([]);
    // nginx can still hand a new gRPC request to a kept-alive connection to the dead replica
    // until it has read that connection's reset: a moment, not more.
    const late = lost.filter((answer) => answer.startedAt > goneAt + STALE_CONNECTION_MS);
    expect(late, seen).toEqual([]);
    expect(lost.length, seen).toBeLessThanOrEqual(6);
    expect(answers.length).toBeGreaterThan(100);
    // Some requests did meet the dead replica: passed on to another (REST, or any request
    // whose connection was refused), or lost there (gRPC). Which of the two depends on what
    // was in flight on it at the kill; nginx then skips it for fail_timeout (2 s).
    const met = answers.filter(
      (a) => a.tried.includes(victimPort) && (a.tried.length > 1 || !a.ok),
    );
    expect(met.length, seen).toBeGreaterThan(0);
  });

  it("drains a replica under load: exit 0, no request failed, then no answer from it", async () => {
    const drained = cluster.replicas[1];
    if (!drained) throw new Error("no second replica");
    let termAt = 0;
    let exitedAt = 0;
    const answers = await runLoad(clients, fake, {
      at: 800,
      action: async () => {
        termAt = Date.now();
        expect(await drained.drain()).toBe(0);
        exitedAt = Date.now();
      },
      afterMs: 1000,
    });
    expect(exitedAt).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer.via === "rest" && !answer.ok)).toEqual([]);
    // The drain's GOAWAY can cross a new gRPC stream nginx has just sent on a kept-alive
    // connection. That stream was never processed, yet nginx does not replay it (its gRPC
    // module answers 502 there: "upstream sent goaway"); the client gets UNAVAILABLE and may
    // retry safely. Anything lost otherwise is a failure of the drain.
    const goaways = nginxErrors(cluster).filter((line) => line.includes("upstream sent goaway"));
    const lost = answers.filter((answer) => !answer.ok);
    expect(otherThanGrpcOn(String(drained.port), lost)).toEqual([]);
    expect(lost.length).toBeLessThanOrEqual(goaways.length);
    const drainedPort = String(drained.port);
    expect(answers.some((a) => a.replica === drainedPort)).toBe(true);
    // Once draining, it takes no new request: nginx finds its listener closed and goes on.
    // (Half a second covers requests already on their way over a kept-alive connection.)
    expect(answers.filter((a) => a.replica === drainedPort && a.startedAt > termAt + 500)).toEqual(
      [],
    );
    // The one replica left answered everything after that.
    const after = answers.filter((a) => a.startedAt > exitedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(new Set(after.map((a) => a.replica))).toEqual(new Set([String(portOf("replica-1"))]));
    expect(drained.log()).toContain('"message":"stopping"');
  });

  it("stops everything it started", async () => {
    const pids = cluster.pids();
    const dir = cluster.dir;
    await cluster.stop();
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});

function nginxErrors(cluster: Cluster): string[] {
  const file = join(cluster.dir, "nginx-error.log");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n") : [];
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
