import { describe, expect, it } from "vitest";
import type { RateLimiter, TokenRevoker } from "../../src/refresh/ports.ts";
import { RefreshError, type RefreshErrorKind } from "../../src/refresh/refresh-error.ts";
import { createRevokeCustomerToken } from "../../src/refresh/revoke-customer-token.ts";
import type { TokenInput } from "../../src/refresh/token-input.ts";
import { tokenKey } from "../../src/refresh/token-key.ts";

// Synthetic token-shaped strings: nothing here is a real credential.
const TOKEN = "eyJjdHkiOiJKV1QifQ.refresh.token";

function setup(answer: () => void = () => {}, limiter?: RateLimiter) {
  const revoked: string[] = [];
  const forgotten: string[] = [];
  const revoker: TokenRevoker = {
    async revoke(token) {
      revoked.push(token);
      answer();
    },
  };
  const revoke = createRevokeCustomerToken({
    revoker,
    addressLimiter: limiter,
    held: [{ forget: (key) => void forgotten.push(key) }],
  });
  return { revoke, revoked, forgotten };
}

async function kindOf(promise: Promise<unknown>): Promise<RefreshErrorKind | "none"> {
  return promise.then(
    () => "none" as const,
    (reason: unknown) => (reason as RefreshError).kind,
  );
}

describe("revoking a customer's refresh token", () => {
  it("revokes the body's token and says it came from the body", async () => {
    const { revoke, revoked } = setup();
    expect(await revoke({ bodyToken: TOKEN, cookieToken: "other.cookie.token" })).toEqual({
      source: "body",
    });
    expect(revoked).toEqual([TOKEN]);
  });

  it("revokes the cookie's token when the body has none, and says so", async () => {
    const { revoke, revoked } = setup();
    expect(await revoke({ bodyToken: " ", cookieToken: TOKEN })).toEqual({ source: "cookie" });
    expect(revoked).toEqual([TOKEN]);
  });

  it("drops what the service holds for the token, by its key", async () => {
    const { revoke, forgotten } = setup();
    await revoke({ bodyToken: TOKEN });
    expect(forgotten).toEqual([tokenKey(TOKEN)]);
  });

  it("answers an unknown, expired or revoked token like a revoked one (RFC 7009)", async () => {
    const { revoke, forgotten } = setup(() => {
      throw new RefreshError("unauthorized");
    });
    expect(await revoke({ bodyToken: TOKEN })).toEqual({ source: "body" });
    expect(forgotten).toEqual([tokenKey(TOKEN)]);
  });

  it("answers a token outside Cognito's alphabet without calling Cognito", async () => {
    const { revoke, revoked } = setup();
    expect(await revoke({ bodyToken: "not/a+cognito token" })).toEqual({ source: "body" });
    expect(revoked).toEqual([]);
  });

  it.each<RefreshErrorKind>(["unavailable", "internal", "forbidden"])(
    "passes a provider's %s on, and forgets nothing",
    async (kind) => {
      const { revoke, forgotten } = setup(() => {
        throw new RefreshError(kind);
      });
      expect(await kindOf(revoke({ bodyToken: TOKEN }))).toBe(kind);
      expect(forgotten).toEqual([]);
    },
  );

  it.each<[string, TokenInput, RefreshErrorKind]>([
    ["no token at all", {}, "missing_token"],
    ["a token too long to be one", { bodyToken: "a".repeat(8193) }, "bad_request"],
    [
      "a cookie sent from another origin",
      { cookieToken: TOKEN, fromOtherOrigin: true },
      "forbidden",
    ],
  ])("refuses %s before calling Cognito", async (_label, input, kind) => {
    const { revoke, revoked } = setup();
    expect(await kindOf(revoke(input))).toBe(kind);
    expect(revoked).toEqual([]);
  });

  it("lets a body token through from another origin: the page had the token itself", async () => {
    const { revoke, revoked } = setup();
    await revoke({ bodyToken: TOKEN, cookieToken: "c.o.o", fromOtherOrigin: true });
    expect(revoked).toEqual([TOKEN]);
  });

  it("counts against the client's address and refuses past its limit", async () => {
    const addresses: string[] = [];
    const limiter: RateLimiter = {
      consume: async (key) => {
        addresses.push(key);
        return addresses.length > 1 ? 30 : 0;
      },
      blockedFor: async () => 0,
    };
    const { revoke, revoked } = setup(undefined, limiter);
    await revoke({ bodyToken: TOKEN, clientAddress: "198.51.100.7" });
    const refused = await revoke({ bodyToken: TOKEN, clientAddress: "198.51.100.7" }).catch(
      (reason: RefreshError) => reason,
    );
    expect(refused).toMatchObject({ kind: "rate_limited", retryAfterSeconds: 30 });
    expect(addresses).toEqual(["198.51.100.7", "198.51.100.7"]);
    expect(revoked).toEqual([TOKEN]);
  });
});
