/**
 * Logs: every path a request can take (every-path.ts), driven with the log
 * captured. Then: no 16-character piece of any token, cookie value, Authorization value or the
 * client secret in the log, nor in what was handed to the logger; exactly one line per
 * request, with its fields; the request id echoed on every response.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogLine } from "../support/log-capture.ts";
import { driveEveryPath } from "./every-path.ts";
import { leakedSecrets, type Observed, startObserved } from "./harness.ts";
import { createTraffic, type Traffic } from "./traffic.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let obs: Observed;
let traffic: Traffic;

beforeAll(async () => {
  obs = await startObserved({
    // One refusal per token, then that token is rate limited: the rate_limited path.
    RATE_LIMIT_FAILURES_PER_TOKEN: "1",
    RATE_LIMIT_PER_MINUTE: "10000",
    BODY_LIMIT_BYTES: "4096",
  });
  traffic = createTraffic(obs);
  traffic.remember("client secret", obs.fake.clientSecret);
  await driveEveryPath(traffic, obs.fake);
  for (const request of traffic.made) await obs.requestLine(request.id);
}, 60_000);

afterAll(async () => {
  await obs?.close();
});

const lineOf = (id: string) => obs.requestLines(id)[0] as LogLine;

describe("the traffic logged", () => {
  it("is answered on every path with the status or code that path must get", () => {
    for (const { what, got, want } of traffic.answers) expect(got, what).toBe(want);
  });
});

describe("the request log", () => {
  it("writes no 16-character piece of any token, cookie, Authorization value or secret", () => {
    expect(traffic.secrets.size).toBeGreaterThan(60);
    expect(leakedSecrets(obs.text(), traffic.secrets)).toEqual([]);
  });

  it("is never handed one either: the logger's redaction is a net, not the defence", () => {
    expect(leakedSecrets(obs.handed(), traffic.secrets)).toEqual([]);
  });

  it("writes exactly one line per request, whatever its path", () => {
    const requestLines = obs.lines().filter((line) => line.message === "request");
    expect(requestLines).toHaveLength(traffic.made.length);
    for (const request of traffic.made) {
      expect(obs.requestLines(request.id), request.id).toHaveLength(1);
    }
  });

  it("says route, protocol, outcome, status, code, duration, upstream figures and coalescing", () => {
    for (const request of traffic.made) {
      const line = lineOf(request.id);
      expect(line, request.id).toMatchObject({
        level: "info",
        protocol: request.protocol,
        route: request.route,
        outcome: request.outcome,
        status: request.status,
        coalesced: request.coalesced ?? expect.any(Boolean),
        durationMs: expect.any(Number),
      });
      expect(line.code, request.id).toBe(request.code);
      if (request.attempts !== undefined) {
        expect(line.upstreamAttempts, request.id).toBe(request.attempts);
        expect(line.upstreamMs, request.id).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it("marks the request that joined an identical one in flight as coalesced", () => {
    const pair = ["first", "second"].map((which) =>
      lineOf(traffic.made.find((r) => r.id.startsWith(`obs-rest-coalesce-${which}`))?.id ?? ""),
    );
    expect(pair.map((line) => line.coalesced).sort()).toEqual([false, true]);
    // Only the request that made the upstream call reports its figures.
    expect(pair.map((line) => line.upstreamAttempts ?? 0).sort()).toEqual([0, 1]);
  });

  it("echoes the caller's X-Request-Id on every response, REST and RPC, success or failure", () => {
    for (const request of traffic.made.filter((r) => !r.clientGaveUp)) {
      expect(request.echoed, request.id).toBe(request.id);
    }
  });

  it("keeps the warning for upstream and internal failures, with error names only", () => {
    const warnings = obs.lines().filter((line) => line.message === "refresh failed");
    expect(warnings.map((line) => line.kind).sort()).toEqual([
      "internal",
      "internal",
      "unavailable",
      "unavailable",
    ]);
    for (const line of warnings) {
      expect(Object.keys(line).sort()).toEqual(
        ["cause", "hostname", "kind", "level", "message", "pid", "requestId", "time"].sort(),
      );
      expect(line.cause).toMatch(/^(InternalErrorException|ResourceNotFoundException)$/);
      expect(line.requestId).toMatch(/^obs-(rest|grpc)-(internal|unavailable)-\d+$/);
    }
  });
});

describe("a request id the service does not accept", () => {
  it.each([
    ["with a space", "two words"],
    ["too long", "x".repeat(129)],
    ["with a tab", "a\tb"],
    ["not ASCII", "caf\u00e9"],
  ])("is replaced by a generated one (%s), echoed and logged", async (_what, given) => {
    const res = await fetch(`${obs.url}/healthz`, { headers: { "x-request-id": given } });
    const echoed = res.headers.get("x-request-id") ?? "";
    expect(echoed).toMatch(UUID);
    expect(await obs.requestLine(echoed)).toMatchObject({ route: "/healthz", outcome: "success" });
  });
});
