/**
 * Coalescing and rate limits under load, against a real server on a loopback port and the
 * Cognito fake (upstream calls counted there). Every burst is sent at once over a mix of REST,
 * Connect, gRPC and gRPC-Web; the fake holds calls with a delay step so they overlap.
 * Tokens are compared, never printed.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.ts";
import { claims, isJwt } from "../../support/clients.ts";
import { type FakeCognito, type Step, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { type RunningService, startService } from "../../support/server.ts";
import {
  burst,
  type Channel,
  channels,
  expectRateLimited,
  expectUnauthorized,
  isRateLimited,
  type Outcome,
  oks,
  sendAndReset,
  tally,
} from "./channels.ts";

const HOLD = { delayMs: 800 } as const;

/** Hold the call like HOLD, then answer with `step`. */
function holdThen(step: Step): Step {
  // biome-ignore lint/suspicious/noThenProperty: the fake's Step vocabulary names its follow-up "then".
  return { ...HOLD, then: step };
}

let fake: FakeCognito;
const services: RunningService[] = [];

beforeAll(async () => {
  fake = await startFakeCognito();
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
  fake.reset();
});
afterAll(async () => {
  await fake?.close();
});

async function serve(env: Record<string, string>): Promise<Channel[]> {
  const service = await startService({ ...fake.env, ...env });
  services.push(service);
  return channels(service.url);
}

describe("coalescing: 100 concurrent refreshes", () => {
  it("of one token make exactly one upstream call and give 100 identical answers", async () => {
    const all = await serve({ RATE_LIMIT_PER_MINUTE: "0" });
    const token = fake.issueRefreshToken({ username: "shared" });
    fake.script(HOLD);
    const outcomes = await burst(all, 100, () => token);
    expect(tally(outcomes)).toEqual({ ok: 100 });
    expect(fake.calls()).toBe(1);
    const answers = oks(outcomes);
    expect(isJwt(answers[0]?.accessToken)).toBe(true);
    expect(claims(answers[0]?.accessToken).username).toBe("shared");
    expect(new Set(answers.map((answer) => answer.accessToken)).size).toBe(1);
    expect(new Set(answers.map((answer) => answer.idToken)).size).toBe(1);
    expect(answers.every((answer) => answer.refreshToken === undefined)).toBe(true);
  });

  it("of one token under rotation all receive the same rotated refresh token", async () => {
    const all = await serve({ RATE_LIMIT_PER_MINUTE: "0" });
    const token = fake.issueRefreshToken({ username: "rotating" });
    fake.script(holdThen("rotate"));
    const outcomes = await burst(all, 100, () => token);
    expect(tally(outcomes)).toEqual({ ok: 100 });
    expect(fake.calls()).toBe(1);
    const rotated = new Set(oks(outcomes).map((answer) => answer.refreshToken));
    expect(rotated.size).toBe(1);
    const [only] = rotated;
    expect(typeof only).toBe("string");
    expect(only === token).toBe(false);
    expect(new Set(oks(outcomes).map((answer) => answer.accessToken)).size).toBe(1);
  });

  it("of one refused token make one upstream call and give 100 identical refusals", async () => {
    const all = await serve({ RATE_LIMIT_PER_MINUTE: "0" });
    const token = fake.issueRefreshToken({ username: "refused" });
    fake.script(holdThen("revoked"));
    const outcomes = await burst(all, 100, () => token);
    expect(fake.calls()).toBe(1);
    expect(tally(outcomes)).toEqual({ "rest 401": 13, [`rpc ${Code.Unauthenticated}`]: 87 });
    for (const outcome of outcomes) expectUnauthorized(outcome);
  });

  it("of 100 different tokens make 100 upstream calls, each answered for its own user", async () => {
    const all = await serve({ RATE_LIMIT_PER_MINUTE: "0" });
    const tokens = Array.from({ length: 100 }, (_, i) =>
      fake.issueRefreshToken({ username: `load-${i}` }),
    );
    fake.scriptAlways(HOLD);
    const outcomes = await burst(all, 100, (i) => tokens[i] as string);
    expect(tally(outcomes)).toEqual({ ok: 100 });
    expect(fake.calls()).toBe(100);
    const users = oks(outcomes).map((answer) => claims(answer.accessToken).username);
    expect(users).toEqual(tokens.map((_, i) => `load-${i}`));
  });
});

/** Outcomes split into successes and rate-limit refusals; anything else fails the test. */
function split(outcomes: Outcome[]) {
  const limited = outcomes.filter(isRateLimited);
  expect(oks(outcomes).length + limited.length).toBe(outcomes.length);
  return { ok: oks(outcomes).length, limited };
}

const xff = (value: string) => ({ "x-forwarded-for": value });

describe("the per-address limit under a burst", () => {
  it("answers the excess over RATE_LIMIT_PER_MINUTE with 429s and never calls upstream for them", async () => {
    const all = await serve({ RATE_LIMIT_PER_MINUTE: "20" });
    const tokens = Array.from({ length: 50 }, (_, i) =>
      fake.issueRefreshToken({ username: `b${i}` }),
    );
    fake.scriptAlways({ delayMs: 200 });
    const { ok, limited } = split(await burst(all, 50, (i) => tokens[i] as string));
    expect({ ok, limited: limited.length }).toEqual({ ok: 20, limited: 30 });
    // Distinct tokens, so nothing coalesced: one upstream call per admitted request only.
    expect(fake.calls()).toBe(20);
    for (const outcome of limited) expectRateLimited(outcome, 60);
    // Every face answers the next request the documented way, still without upstream calls.
    for (const outcome of await burst(all, all.length, (i) => tokens[i] as string)) {
      expectRateLimited(outcome, 60);
    }
    expect(fake.calls()).toBe(20);
  });
});

describe("per-address budgets and TRUST_PROXY", () => {
  const LIMIT = 5;
  const token = (i: number) => fake.issueRefreshToken({ username: `p${i}` });

  it("gives two clients behind a trusted loopback proxy separate budgets", async () => {
    const all = await serve({ RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY: "127.0.0.1" });
    const first = split(await burst(all, LIMIT + 1, token, () => xff("203.0.113.1")));
    expect({ ok: first.ok, limited: first.limited.length }).toEqual({ ok: LIMIT, limited: 1 });
    // A spoofed leftmost entry is not the client: this is still 203.0.113.2's own budget.
    const second = split(
      await burst(all, LIMIT + 1, token, (i) => xff(`198.51.100.${i}, 203.0.113.2`)),
    );
    expect({ ok: second.ok, limited: second.limited.length }).toEqual({ ok: LIMIT, limited: 1 });
    expect(fake.calls()).toBe(2 * LIMIT);
  });

  it("without TRUST_PROXY counts both against the proxy's one address", async () => {
    const all = await serve({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    const first = split(await burst(all, LIMIT, token, () => xff("203.0.113.1")));
    expect(first.ok).toBe(LIMIT);
    const second = split(await burst(all, 3, token, () => xff("203.0.113.2")));
    expect(second.ok).toBe(0);
    for (const outcome of second.limited) expectRateLimited(outcome, 60);
    expect(fake.calls()).toBe(LIMIT);
  });

  // A reset socket has no remoteAddress: such requests must still count, and not go upstream.
  it.each(["rest", "connect"] as const)(
    "cannot be escaped over %s by resetting each connection after sending",
    async (face) => {
      const service = await startService({ ...fake.env, RATE_LIMIT_PER_MINUTE: "1" });
      services.push(service);
      const token = fake.issueRefreshToken({ username: "resetter" });
      for (let i = 0; i < 40; i++) await sendAndReset(service.port, face, token);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(fake.calls()).toBeLessThanOrEqual(1);
    },
  );
});

describe("the per-token failure limit end to end", () => {
  it("refuses a guessed token with 401 N times, then 429 without calling upstream", async () => {
    const env = { RATE_LIMIT_PER_MINUTE: "0" };
    const { failuresPerToken, failureWindowSeconds } = loadConfig({
      ...fake.env,
      ...env,
    }).rateLimit;
    expect(failuresPerToken).toBe(5);
    const all = await serve(env);
    const guessed = "guessed.refresh.token.value";
    for (let i = 0; i < failuresPerToken; i++) {
      expectUnauthorized(await (all[i % all.length] as Channel).send(guessed));
    }
    expect(fake.calls()).toBe(failuresPerToken);
    for (const outcome of await burst(all, all.length, () => guessed)) {
      // Retry-After is the rest of the failure window, not a minute.
      expectRateLimited(outcome, failureWindowSeconds, failureWindowSeconds - 60);
    }
    expect(fake.calls()).toBe(failuresPerToken);
    // Only that token is locked out: a genuine one still refreshes.
    const genuine = await (all[0] as Channel).send(fake.issueRefreshToken());
    expect(genuine.kind).toBe("ok");
    expect(fake.calls()).toBe(failuresPerToken + 1);
  });
});
