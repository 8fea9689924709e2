/**
 * The use case's own rate limits, with fake limiters: per address on every request, per token
 * only for refusals, both checked before the provider. Tokens are synthetic.
 */
import { describe, expect, it } from "vitest";
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
