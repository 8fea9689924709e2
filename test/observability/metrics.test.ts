/**
 * Metrics: GET /metrics in the Prometheus text format, from the app's own
 * registry, scraped before and after known traffic; every counter and histogram moves by
 * exactly what that traffic should move it by.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { register as globalRegistry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { JSON_TYPE, REST_PATH, RPC_PATH } from "../support/clients.ts";
import { type Observed, type Sample, scrape, startObserved, total } from "./harness.ts";

const RATE_LIMIT = 20;
const OPERATION = "GetTokensFromRefreshToken";

let obs: Observed;
let before: Sample[];
let after: Sample[];
let contentType: string;
let inFlightDuring = 0;
let refreshes = 0;
let limited = 0;
/** What the traffic was answered: checked in its own tests, not where it is sent. */
const answered = {
  successes: [] as number[],
  refused: 0,
  outage: 0,
  noToken: 0,
  pair: [] as number[],
  budget: [] as number[],
};

const delta = (name: string, labels: Record<string, string> = {}) =>
  total(after, name, labels) - total(before, name, labels);

async function rest(body: unknown): Promise<number> {
  refreshes++;
  const res = await fetch(`${obs.url}${REST_PATH}`, {
    method: "POST",
    headers: JSON_TYPE,
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  obs = await startObserved({
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
    RATE_LIMIT_FAILURES_PER_TOKEN: "0",
  });
  before = (await scrape(obs.metricsUrl)).samples;
  const token = () => obs.fake.issueRefreshToken();

  // 3 successes over REST, 1 over Connect, 1 over gRPC: 5 upstream successes, 1 attempt each.
  for (let i = 0; i < 3; i++) answered.successes.push(await rest({ refresh_token: token() }));
  const transports = [
    createConnectTransport({ baseUrl: obs.url, httpVersion: "1.1" }),
    createGrpcTransport({ baseUrl: obs.url }),
  ];
  for (const transport of transports) {
    refreshes++;
    await createClient(AuthService, transport).refreshCustomerToken({ refreshToken: token() });
  }
  // One refusal, and one outage the SDK tries three times (two retries).
  obs.fake.script("invalid");
  answered.refused = await rest({ refresh_token: token() });
  obs.fake.script("internal-error", "internal-error", "internal-error");
  answered.outage = await rest({ refresh_token: token() });
  // One refused before any upstream call.
  answered.noToken = await rest({});

  // Two identical refreshes at once, held upstream long enough to scrape in between.
  const shared = token();
  obs.fake.script({ delayMs: 400 });
  const pair = Promise.all([rest({ refresh_token: shared }), rest({ refresh_token: shared })]);
  await new Promise((resolve) => setTimeout(resolve, 150));
  inFlightDuring = total((await scrape(obs.metricsUrl)).samples, "auth_requests_in_flight");
  answered.pair = await pair;

  // Probes and scrapes: left out of the request metrics.
  await fetch(`${obs.url}/healthz`);
  await fetch(`${obs.url}/readyz`);
  await fetch(`${obs.url}/nope`);

  // The per-address limit: every refresh so far counted (10); the rest of the minute's
  // budget, then refusals.
  while (refreshes < RATE_LIMIT) answered.budget.push(await rest({}));
  for (let i = 0; i < 2; i++) {
    if ((await rest({ refresh_token: token() })) === 429) limited++;
  }
  ({ contentType, samples: after } = await scrape(obs.metricsUrl));
}, 30_000);

afterAll(async () => {
  await obs?.close();
});

describe("the traffic the metrics count", () => {
  it("is answered 200 for every good token, the identical pair included", () => {
    for (const status of answered.successes) expect(status).toBe(200);
    expect(answered.pair).toEqual([200, 200]);
  });

  it("is answered 401 for the refusal, 503 for the outage and 400 without a token", () => {
    expect(answered.refused).toBe(401);
    expect(answered.outage).toBe(503);
    expect(answered.noToken).toBe(400);
    for (const status of answered.budget) expect(status).toBe(400);
  });
});

describe("GET /metrics", () => {
  it("answers the Prometheus text format", () => {
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("counts requests by protocol, route and outcome", () => {
    const rest = { protocol: "rest", route: REST_PATH };
    expect(delta("auth_requests_total", { ...rest, outcome: "success" })).toBe(5);
    expect(delta("auth_requests_total", { ...rest, outcome: "unauthorized" })).toBe(1);
    expect(delta("auth_requests_total", { ...rest, outcome: "unavailable" })).toBe(1);
    expect(delta("auth_requests_total", { ...rest, outcome: "missing_token" })).toBe(
      1 + (RATE_LIMIT - 10),
    );
    expect(delta("auth_requests_total", { ...rest, outcome: "rate_limited" })).toBe(2);
    const rpc = { route: RPC_PATH, outcome: "success" };
    expect(delta("auth_requests_total", { ...rpc, protocol: "connect" })).toBe(1);
    expect(delta("auth_requests_total", { ...rpc, protocol: "grpc" })).toBe(1);
    expect(delta("auth_requests_total", { route: "unmatched", outcome: "not_found" })).toBe(1);
  });

  it("leaves /healthz and /readyz out of the request metrics", () => {
    for (const route of ["/healthz", "/readyz"]) {
      expect(after.filter((s) => s.labels.route === route)).toEqual([]);
    }
  });

  it("is served on its own listener only: the public port answers 404", async () => {
    const publicPort = await fetch(`${obs.url}/metrics`);
    expect([publicPort.status, await publicPort.text()]).toEqual([
      404,
      '{"message":"Not Found","errorCode":"ERR_NOT_FOUND"}',
    ]);
    expect(new URL(obs.metricsUrl).port).not.toBe(new URL(obs.url).port);
    const other = await fetch(`${obs.metricsUrl}/auth/api/v1/refresh-token/customer`, {
      method: "POST",
    });
    expect(other.status).toBe(404);
    await other.body?.cancel();
  });

  it("observes every request's latency in the histogram", () => {
    const labels = { protocol: "rest", route: REST_PATH, outcome: "success" };
    const count = delta("auth_request_duration_seconds_count", labels);
    expect(count).toBe(5);
    expect(delta("auth_request_duration_seconds_bucket", { ...labels, le: "+Inf" })).toBe(count);
    expect(delta("auth_request_duration_seconds_sum", labels)).toBeGreaterThan(0);
    // The held pair took at least its 400 ms upstream delay.
    const quick = delta("auth_request_duration_seconds_bucket", { ...labels, le: "0.25" });
    expect(count - quick).toBeGreaterThanOrEqual(2);
    expect(total(after, "auth_request_duration_seconds_count")).toBe(
      total(after, "auth_requests_total"),
    );
  });

  it("counts upstream calls by outcome, with their latency, and the SDK's retries", () => {
    const up = { operation: OPERATION };
    // 5 single successes, the held call the pair shared; the refusal; the outage.
    expect(delta("auth_upstream_requests_total", { ...up, outcome: "success" })).toBe(6);
    expect(delta("auth_upstream_requests_total", { ...up, outcome: "unauthorized" })).toBe(1);
    expect(delta("auth_upstream_requests_total", { ...up, outcome: "unavailable" })).toBe(1);
    expect(delta("auth_upstream_duration_seconds_count", up)).toBe(8);
    expect(delta("auth_upstream_duration_seconds_bucket", { ...up, le: "0.25" })).toBeLessThan(8);
    expect(delta("auth_upstream_retries_total", up)).toBe(2);
    expect(obs.fake.calls()).toBe(5 + 1 + 1 + 3);
  });

  it("counts the refresh that joined an identical one in flight", () => {
    expect(delta("auth_coalesced_requests_total")).toBe(1);
  });

  it("counts the requests this service's own limit refused", () => {
    expect(limited).toBe(2);
    expect(delta("auth_rate_limited_requests_total", { limit: "address" })).toBe(2);
  });

  it("shows requests in flight while they are, and none after", () => {
    expect(inFlightDuring).toBe(2);
    expect(total(after, "auth_requests_in_flight")).toBe(0);
  });

  it("includes the default process metrics", () => {
    const names = new Set(after.map((s) => s.name));
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it("uses a registry of its own, not prom-client's global one", async () => {
    expect(await globalRegistry.metrics()).not.toMatch(/auth_|process_cpu/);
  });
});
