/**
 * A short soak of the refresh replay, in `npm test` (the bench runs the long one): the real
 * src/main.ts in its own process, refreshes mixing distinct and repeated tokens over REST,
 * Connect and gRPC. The replay's store stays at its bound, the process's memory settles after
 * warm-up, and nothing answers 5xx.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../cluster/ports.ts";
import { AuthService } from "../../../gen/worth/auth/v1/auth_service_pb.ts";
import { REST_PATH } from "../../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { metricValue } from "../../support/metrics.ts";
import { type MainProcess, spawnMain } from "../../support/spawn-main.ts";

const BOUND = 300;
const DISTINCT = 1200;
const ROUNDS = 4;

describe("the refresh replay under a long mixed load", () => {
  let fake: FakeCognito;
  let main: MainProcess;
  let url: string;
  let metricsUrl: string;
  const outcomes = new Map<string, number>();
  const rss: number[] = [];

  const metric = async (name: string) => (await metricValue(metricsUrl, name)) ?? Number.NaN;

  beforeAll(async () => {
    fake = await startFakeCognito();
    const [port, metricsPort] = [await freePort(), await freePort()];
    main = spawnMain({
      ...fake.env,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      RATE_LIMIT_PER_MINUTE: "0",
      REFRESH_REPLAY_MAX_ENTRIES: String(BOUND),
    });
    url = `http://127.0.0.1:${port}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 30_000);

  afterAll(async () => {
    main?.child.kill("SIGTERM");
    await main?.exited;
    await fake?.close();
  });

  it("answers every refresh below 500 and keeps its store at the bound", async () => {
    const connect = createClient(
      AuthService,
      createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
    );
    const grpc = createClient(AuthService, createGrpcTransport({ baseUrl: url }));
    const tokens = Array.from({ length: DISTINCT }, () => fake.issueRefreshToken());
    const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const refresh = async (token: string, face: number) => {
      try {
        if (face === 0) {
          const response = await fetch(`${url}${REST_PATH}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ refresh_token: token }),
          });
          await response.arrayBuffer();
          count(String(response.status));
        } else {
          await (face === 1 ? connect : grpc).refreshCustomerToken({ refreshToken: token });
          count("200");
        }
      } catch (error) {
        count((error as Error).name);
      }
    };
    // Each round: every token once (distinct), then a third of them twice more (repeats).
    for (let round = 0; round < ROUNDS; round++) {
      const work = [...tokens, ...tokens.slice(0, DISTINCT / 3), ...tokens.slice(0, DISTINCT / 3)];
      for (let i = 0; i < work.length; i += 40) {
        await Promise.all(work.slice(i, i + 40).map((token, j) => refresh(token, (i + j) % 3)));
      }
      rss.push(await metric("process_resident_memory_bytes"));
    }
    expect([...outcomes.keys()]).toEqual(["200"]);
    expect(outcomes.get("200")).toBe(ROUNDS * DISTINCT * (5 / 3));
    expect(await metric("auth_replay_entries")).toBeLessThanOrEqual(BOUND);
    expect(await metric("auth_replay_entries")).toBeGreaterThan(0);
  }, 120_000);

  it("settles its memory after the first round: under 10 % more by the last", () => {
    const [warm, ...later] = rss.slice(1);
    expect(warm).toBeGreaterThan(0);
    for (const value of later) expect(value).toBeLessThan((warm as number) * 1.1);
  });
});
