/**
 * Deadlines: a caller's deadline (grpc-js `deadline`, connect-node
 * `timeoutMs`, the raw `grpc-timeout` and `connect-timeout-ms` headers) ends the call with
 * deadline_exceeded, promptly, and should take the upstream call down with it; a REST call
 * against a hung provider is answered 503 within UPSTREAM_TIMEOUT_MS.
 *
 * The provider hangs. With UPSTREAM_TIMEOUT_MS 3000 the service alone would answer
 * `unavailable` after ~3 s, so an answer within DEADLINE_MS + SLACK_MS (1.8 s) can only come
 * from the caller's deadline. Each test has its own fake, relay and service.
 */
import { Code } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectFetch, rpcClient, rpcError } from "../../support/clients.ts";
import { eventually, sleep, timed } from "../../support/timing.ts";
import { GrpcStatus, grpcFaultClient, rawGrpcRefresh } from "./grpc.ts";
import {
  BODY,
  headerOf,
  RETRY_AFTER,
  type Rig,
  restRefresh,
  SLACK_MS,
  startRig,
} from "./harness.ts";

const DEADLINE_MS = 300;
const SLOW_ENV = { UPSTREAM_TIMEOUT_MS: "3000", UPSTREAM_ATTEMPT_TIMEOUT_MS: "1000" };

let rig: Rig;
let before: number;

async function hungRig(env: Record<string, string>): Promise<void> {
  rig = await startRig(env, { relay: true });
  rig.fake.scriptAlways("hang");
  // The JWKS fetch at start-up has its own connection; only later ones are the refresh's.
  before = rig.relay?.opened() ?? 0;
}

/** Connections the refresh opened to the provider that are still open. */
const upstreamOpen = () => rig.relay?.openSince(before) ?? 0;

afterEach(async () => {
  await rig?.close();
});

describe("a caller's deadline shorter than the provider's delay", () => {
  beforeEach(() => hungRig(SLOW_ENV));

  it("ends a grpc-js call with DEADLINE_EXCEEDED within the deadline + slack", async () => {
    const grpc = grpcFaultClient(rig.service.port);
    try {
      const token = rig.fake.issueRefreshToken();
      const { value: out, ms } = await timed(() => grpc.refresh(token, DEADLINE_MS));
      expect(GrpcStatus[out.code]).toBe("DEADLINE_EXCEEDED");
      expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
      expect(rig.fake.calls()).toBe(1);
    } finally {
      grpc.close();
    }
  });

  it("ends a connect-node gRPC call (timeoutMs) with deadline_exceeded within the deadline + slack", async () => {
    const client = rpcClient(createGrpcTransport({ baseUrl: rig.service.url }));
    const request = { refreshToken: rig.fake.issueRefreshToken() };
    const { value: error, ms } = await timed(() =>
      rpcError(client.refreshCustomerToken(request, { timeoutMs: DEADLINE_MS })),
    );
    expect(Code[error.code]).toBe(Code[Code.DeadlineExceeded]);
    expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });

  it("answers grpc-status DEADLINE_EXCEEDED itself when only grpc-timeout says so", async () => {
    const token = rig.fake.issueRefreshToken();
    const { value: out, ms } = await timed(() =>
      rawGrpcRefresh(rig.service.url, token, `${DEADLINE_MS}m`),
    );
    expect(GrpcStatus[out.grpcStatus]).toBe("DEADLINE_EXCEEDED");
    expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });

  it("answers a Connect call 504 deadline_exceeded itself when only connect-timeout-ms says so", async () => {
    const body = JSON.stringify({ refreshToken: rig.fake.issueRefreshToken() });
    const headers = { "connect-timeout-ms": String(DEADLINE_MS) };
    const { value: res, ms } = await timed(() => connectFetch(rig.service.url, body, headers));
    expect(res.status).toBe(504);
    expect(JSON.parse(res.text)).toMatchObject({ code: "deadline_exceeded" });
    expect(res.text).not.toMatch(/Exception|Cognito|token/i);
    expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });
});

// With the replay window on, an upstream call once started runs to its own timeout, so a
// client that retries after losing the answer gets it (test/system/cluster/replay.test.ts). With the
// window off, nothing waits for the answer, and the call ends with its last caller.
describe("a caller's deadline shorter than the provider's delay, with no replay window", () => {
  beforeEach(() => hungRig({ ...SLOW_ENV, REFRESH_REPLAY_SECONDS: "0" }));

  // Once every caller of a shared upstream call has given up, the call is aborted.
  it("does not let the upstream call outlive the caller's deadline", async () => {
    const grpc = grpcFaultClient(rig.service.port);
    try {
      const out = await grpc.refresh(rig.fake.issueRefreshToken(), DEADLINE_MS);
      expect(GrpcStatus[out.code]).toBe("DEADLINE_EXCEEDED");
      // The held attempt is cut with the caller, long before its own 1000 ms attempt timeout...
      const cut = await eventually(() => upstreamOpen() === 0, 500);
      expect(cut, "the held upstream attempt is still open after the deadline").toBe(true);
      // ...and no attempt starts after it (the SDK would retry at ~1000 ms and ~2000 ms).
      await sleep(1200);
      expect(rig.fake.calls(), "attempts made after the caller's deadline").toBe(1);
    } finally {
      grpc.close();
    }
  });

  // Over REST: the route aborts its signal when the client goes away, and that ends the
  // upstream attempts too.
  it("stops calling the provider when a REST caller hangs up", async () => {
    const gone = AbortSignal.timeout(DEADLINE_MS);
    const body = JSON.stringify({ refresh_token: rig.fake.issueRefreshToken() });
    const url = `${rig.service.url}/auth/api/v1/refresh-token/customer`;
    const headers = { "content-type": "application/json" };
    await expect(fetch(url, { method: "POST", headers, body, signal: gone })).rejects.toThrow();
    const cut = await eventually(() => upstreamOpen() === 0, 500);
    expect(cut, "the held upstream attempt is still open after the caller left").toBe(true);
    await sleep(1200);
    expect(rig.fake.calls()).toBe(1);
  });
});

describe("a deadline longer than the provider's delay", () => {
  // No relay: tokens are issued for the fake's own address, which the service must expect.
  beforeEach(async () => {
    rig = await startRig(SLOW_ENV);
  });

  it("still gets the tokens over gRPC", async () => {
    rig.fake.scriptAlways({ delayMs: 200 });
    const grpc = grpcFaultClient(rig.service.port);
    try {
      const out = await grpc.refresh(rig.fake.issueRefreshToken(), 2000);
      expect(GrpcStatus[out.code]).toBe("OK");
      expect(out.success?.jwts).toBe(true);
    } finally {
      grpc.close();
    }
  });
});

describe("REST against a hung provider (UPSTREAM_TIMEOUT_MS 1500, attempts of 400 ms)", () => {
  beforeEach(() => hungRig({}));

  it("answers 503 with the unavailable body and Retry-After within UPSTREAM_TIMEOUT_MS + slack", async () => {
    const token = rig.fake.issueRefreshToken();
    const { value: res, ms } = await timed(() => restRefresh(rig.service.url, token));
    expect(res.status).toBe(503);
    expect(res.text).toBe(BODY.unavailable);
    expect(headerOf(res, "retry-after")).toMatch(RETRY_AFTER);
    expect(ms).toBeLessThan(1500 + SLACK_MS);
    // Three hung attempts of 400 ms fit in 1500 ms; each was cut, none is left open.
    expect(rig.fake.calls()).toBe(3);
    expect(await eventually(() => upstreamOpen() === 0, 500)).toBe(true);
  });
});

describe("a deadline longer than a timer can count", () => {
  const overflows: string[] = [];
  const onWarning = (warning: Error) => {
    if (warning.name === "TimeoutOverflowWarning") overflows.push(warning.name);
  };
  beforeEach(async () => {
    rig = await startRig(SLOW_ENV);
    process.on("warning", onWarning);
  });
  afterEach(() => {
    process.off("warning", onWarning);
  });

  it("serves a gRPC call with grpc-timeout: 600H, and overflows no timer", async () => {
    const out = await rawGrpcRefresh(rig.service.url, rig.fake.issueRefreshToken(), "600H");
    expect(GrpcStatus[out.grpcStatus]).toBe("OK");
    expect(rig.fake.calls()).toBe(1);
    await sleep(50); // warnings are emitted on the next tick
    expect(overflows).toEqual([]);
  });

  it("serves a Connect call with connect-timeout-ms: 9999999999, and overflows no timer", async () => {
    const body = JSON.stringify({ refreshToken: rig.fake.issueRefreshToken() });
    const res = await connectFetch(rig.service.url, body, { "connect-timeout-ms": "9999999999" });
    expect(res.status).toBe(200);
    await sleep(50);
    expect(overflows).toEqual([]);
  });
});
