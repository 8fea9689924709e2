/**
 * Rate limits: the use case with fake limiters (per address on every request, per token only
 * for refusals, both checked before the provider), the in-memory limiter on
 * rate-limiter-flexible, and the settings that turn limits off. Tokens are synthetic.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMemoryRateLimiter } from "../../src/limits/memory-rate-limiter.ts";
import { createRateLimiters } from "../../src/limits/rate-limiters.ts";
import type { IdentityProvider, RateLimiter } from "../../src/refresh/ports.ts";
import { createRefreshCustomerToken } from "../../src/refresh/refresh-customer-token.ts";
import { RefreshError, type RefreshErrorKind } from "../../src/refresh/refresh-error.ts";
import { tokenKey } from "../../src/refresh/token-key.ts";

const TOKEN = "guessed.refresh.token";
const OTHER = "another.refresh.token";
const ADDRESS = "203.0.113.7";

/** Counts hits per key; over `points` the key waits `waitSeconds`. Records the keys it saw. */
function fakeLimiter(points: number, waitSeconds = 42) {
  const hits = new Map<string, number>();
  const seen: string[] = [];
  const limiter: RateLimiter = {
    async consume(key) {
      seen.push(key);
      const count = (hits.get(key) ?? 0) + 1;
      hits.set(key, count);
      return count > points ? waitSeconds : 0;
    },
    async blockedFor(key) {
      seen.push(key);
      return (hits.get(key) ?? 0) >= points ? waitSeconds : 0;
    },
  };
  return Object.assign(limiter, { hits, seen });
}

/** A provider answering from a queue of outcomes (then the last one forever), counted. */
function scriptedProvider(...outcomes: (RefreshErrorKind | "ok")[]) {
  const tokens: string[] = [];
  const provider: IdentityProvider = {
    async refresh(token) {
      tokens.push(token);
      const next = (outcomes.length > 1 ? outcomes.shift() : outcomes[0]) ?? "ok";
      if (next !== "ok") throw new RefreshError(next);
      return { accessToken: "access.jwt", idToken: "id.jwt", expiresIn: 3600 };
    },
  };
  return Object.assign(provider, { tokens });
}

const verifier = { verify: async () => ({ accessTokenExp: 0, claims: {} }) };

async function failure(promise: Promise<unknown>): Promise<RefreshError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RefreshError);
  return error as RefreshError;
}

describe("the per-address limit in the use case", () => {
  it("refuses a request over the limit with rate_limited and Retry-After, before the provider", async () => {
    const provider = scriptedProvider("ok");
    const addressLimiter = fakeLimiter(2, 17);
    const refresh = createRefreshCustomerToken({ provider, verifier, addressLimiter });
    await refresh({ bodyToken: TOKEN, clientAddress: ADDRESS });
    await refresh({ bodyToken: OTHER, clientAddress: ADDRESS });
    const error = await failure(refresh({ bodyToken: TOKEN, clientAddress: ADDRESS }));
    expect(error.kind).toBe("rate_limited");
    expect(error.retryAfterSeconds).toBe(17);
    expect(provider.tokens).toHaveLength(2);
  });

  it("counts every request, failed ones too, against its own address only", async () => {
    const provider = scriptedProvider("unauthorized");
    const addressLimiter = fakeLimiter(2);
    const refresh = createRefreshCustomerToken({ provider, verifier, addressLimiter });
    await failure(refresh({ bodyToken: TOKEN, clientAddress: ADDRESS }));
    await failure(refresh({ clientAddress: ADDRESS }));
    expect((await failure(refresh({ bodyToken: TOKEN, clientAddress: ADDRESS }))).kind).toBe(
      "rate_limited",
    );
    expect((await failure(refresh({ bodyToken: TOKEN, clientAddress: "198.51.100.1" }))).kind).toBe(
      "unauthorized",
    );
    expect(addressLimiter.seen).toEqual([ADDRESS, ADDRESS, ADDRESS, "198.51.100.1"]);
  });
});

describe("the per-token failure limit in the use case", () => {
  const FAILURES = 3;

  function setup(...outcomes: (RefreshErrorKind | "ok")[]) {
    const provider = scriptedProvider(...outcomes);
    const tokenFailureLimiter = fakeLimiter(FAILURES, 900);
    const refresh = createRefreshCustomerToken({ provider, verifier, tokenFailureLimiter });
    return { provider, tokenFailureLimiter, refresh };
  }

  it("refuses a token with rate_limited, before the provider, after N refusals", async () => {
    const { provider, refresh } = setup("unauthorized");
    for (let i = 0; i < FAILURES; i++) {
      expect((await failure(refresh({ bodyToken: TOKEN }))).kind).toBe("unauthorized");
    }
    const error = await failure(refresh({ bodyToken: TOKEN }));
    expect(error.kind).toBe("rate_limited");
    expect(error.retryAfterSeconds).toBe(900);
    expect(provider.tokens).toHaveLength(FAILURES);
  });

  it("counts forbidden like unauthorized", async () => {
    const { provider, refresh } = setup("forbidden");
    for (let i = 0; i < FAILURES; i++) await failure(refresh({ bodyToken: TOKEN }));
    expect((await failure(refresh({ bodyToken: TOKEN }))).kind).toBe("rate_limited");
    expect(provider.tokens).toHaveLength(FAILURES);
  });

  it("keys the count by the token's hash, never the token, and spares other tokens", async () => {
    const { provider, tokenFailureLimiter, refresh } = setup("unauthorized");
    for (let i = 0; i < FAILURES; i++) await failure(refresh({ bodyToken: TOKEN }));
    expect((await failure(refresh({ bodyToken: OTHER }))).kind).toBe("unauthorized");
    expect(provider.tokens).toEqual([...Array(FAILURES).fill(TOKEN), OTHER]);
    expect(new Set(tokenFailureLimiter.seen)).toEqual(new Set([tokenKey(TOKEN), tokenKey(OTHER)]));
    expect(tokenFailureLimiter.seen.some((key) => key.includes("refresh.token"))).toBe(false);
  });

  it.each(["unavailable", "internal"] as const)(
    "does not count %s: an outage must not lock a token out",
    async (kind) => {
      const { provider, tokenFailureLimiter, refresh } = setup(kind);
      for (let i = 0; i < FAILURES + 2; i++) {
        expect((await failure(refresh({ bodyToken: TOKEN }))).kind).toBe(kind);
      }
      expect(provider.tokens).toHaveLength(FAILURES + 2);
      expect(tokenFailureLimiter.hits.size).toBe(0);
    },
  );

  it("does not count a success", async () => {
    const { provider, tokenFailureLimiter, refresh } = setup("ok");
    for (let i = 0; i < FAILURES + 2; i++) await refresh({ bodyToken: TOKEN });
    expect(provider.tokens).toHaveLength(FAILURES + 2);
    expect(tokenFailureLimiter.hits.size).toBe(0);
  });

  it("counts only the refusals among mixed outcomes", async () => {
    const { provider, refresh } = setup(
      "unauthorized",
      "unavailable",
      "ok",
      "unauthorized",
      "internal",
      "unauthorized",
    );
    for (let i = 0; i < 6; i++) await refresh({ bodyToken: TOKEN }).catch(() => undefined);
    expect((await failure(refresh({ bodyToken: TOKEN }))).kind).toBe("rate_limited");
    expect(provider.tokens).toHaveLength(6);
  });
});

describe("createMemoryRateLimiter", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lets `points` hits through per key, then answers the seconds to wait", async () => {
    const limiter = createMemoryRateLimiter({ points: 3, durationSeconds: 60, keyPrefix: "t1" });
    expect([
      await limiter.consume("a"),
      await limiter.consume("a"),
      await limiter.consume("a"),
    ]).toEqual([0, 0, 0]);
    const wait = await limiter.consume("a");
    expect(wait).toBeGreaterThanOrEqual(59);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await limiter.consume("b")).toBe(0);
  });

  it("blockedFor looks without counting", async () => {
    const limiter = createMemoryRateLimiter({ points: 2, durationSeconds: 60, keyPrefix: "t2" });
    expect(await limiter.blockedFor("never-seen")).toBe(0);
    for (let i = 0; i < 10; i++) expect(await limiter.blockedFor("a")).toBe(0);
    expect(await limiter.consume("a")).toBe(0);
    expect(await limiter.blockedFor("a")).toBe(0);
    expect(await limiter.consume("a")).toBe(0);
    // Once the points are spent, the key is blocked: the next consume would be refused.
    expect(await limiter.blockedFor("a")).toBeGreaterThanOrEqual(59);
    expect(await limiter.blockedFor("b")).toBe(0);
  });

  it("never answers less than one second, and frees the key when the window ends", async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const limiter = createMemoryRateLimiter({ points: 1, durationSeconds: 2, keyPrefix: "t3" });
    expect(await limiter.consume("a")).toBe(0);
    vi.advanceTimersByTime(1990);
    expect(await limiter.consume("a")).toBe(1);
    expect(await limiter.blockedFor("a")).toBe(1);
    vi.advanceTimersByTime(20);
    expect(await limiter.blockedFor("a")).toBe(0);
    expect(await limiter.consume("a")).toBe(0);
  });
});

describe("createRateLimiters", () => {
  const settings = {
    perAddressPerMinute: 300,
    failuresPerToken: 5,
    failureWindowSeconds: 900,
    redisUrl: undefined,
  };

  it("builds both limiters from the settings", async () => {
    const limiters = createRateLimiters(settings);
    expect(limiters.addressLimiter).toBeDefined();
    expect(limiters.tokenFailureLimiter).toBeDefined();
    for (let i = 0; i < 5; i++) await limiters.tokenFailureLimiter?.consume("k");
    expect(await limiters.tokenFailureLimiter?.blockedFor("k")).toBeGreaterThan(800);
    expect(await limiters.addressLimiter?.blockedFor("k")).toBe(0);
  });

  it("turns each limit off with 0", () => {
    const off = createRateLimiters({
      ...settings,
      perAddressPerMinute: 0,
      failuresPerToken: 0,
    });
    expect(off).toMatchObject({ addressLimiter: undefined, tokenFailureLimiter: undefined });
    expect(off.storeState()).toBe("memory");
  });
});
