import { describe, expect, it, vi } from "vitest";
import { createCustomerPolicy } from "../../src/refresh/customer-policy.ts";
import type {
  CustomerPolicy,
  IdentityProvider,
  ProviderTokens,
  TokenVerifier,
  VerifiedTokens,
} from "../../src/refresh/ports.ts";
import {
  createRefreshCustomerToken,
  MAX_TOKEN_LENGTH,
  type RefreshInput,
} from "../../src/refresh/refresh-customer-token.ts";
import { RefreshError, type RefreshErrorKind } from "../../src/refresh/refresh-error.ts";
import { tokenKey } from "../../src/refresh/token-key.ts";

// Synthetic token-shaped strings: nothing here is a real credential.
const BODY_TOKEN = "body.refresh.token";
const COOKIE_TOKEN = "cookie.refresh.token";
const NOW_MS = 1_700_000_000_500;

function fakeProvider(answer: (token: string) => ProviderTokens) {
  const calls: { token: string; signal: AbortSignal | undefined }[] = [];
  const provider: IdentityProvider = {
    async refresh(token, signal) {
      calls.push({ token, signal });
      return answer(token);
    },
  };
  return Object.assign(provider, { calls });
}

function fakeVerifier(answer: () => VerifiedTokens) {
  const seen: ProviderTokens[] = [];
  const verifier: TokenVerifier = {
    async verify(tokens) {
      seen.push(tokens);
      return answer();
    },
  };
  return Object.assign(verifier, { seen });
}

interface Setup {
  tokens?: Partial<ProviderTokens>;
  verified?: Partial<VerifiedTokens>;
  verifierError?: RefreshError;
  policy?: CustomerPolicy | undefined;
}

function setup(options: Setup = {}) {
  const provider = fakeProvider(() => ({
    accessToken: "access.jwt",
    idToken: "id.jwt",
    ...options.tokens,
  }));
  const verifier = fakeVerifier(() => {
    if (options.verifierError) throw options.verifierError;
    return { accessTokenExp: Math.floor(NOW_MS / 1000) + 3600, claims: {}, ...options.verified };
  });
  const refresh = createRefreshCustomerToken({
    provider,
    verifier,
    policy: options.policy,
    clock: () => NOW_MS,
  });
  return { provider, verifier, refresh };
}

async function kindOf(promise: Promise<unknown>): Promise<RefreshErrorKind> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RefreshError);
  return (error as RefreshError).kind;
}

describe("where the refresh token is taken from", () => {
  it("prefers the body token over the cookie", async () => {
    const { provider, refresh } = setup();
    await refresh({ bodyToken: BODY_TOKEN, cookieToken: COOKIE_TOKEN });
    expect(provider.calls.map((call) => call.token)).toEqual([BODY_TOKEN]);
  });

  it.each(["", "   ", "\t\n"])(
    "falls back to the cookie when the body token is %j",
    async (body) => {
      const { provider, refresh } = setup();
      await refresh({ bodyToken: body, cookieToken: COOKIE_TOKEN });
      expect(provider.calls.map((call) => call.token)).toEqual([COOKIE_TOKEN]);
    },
  );

  it("sends the token without surrounding whitespace", async () => {
    const { provider, refresh } = setup();
    await refresh({ bodyToken: `  ${BODY_TOKEN}\n` });
    expect(provider.calls[0]?.token).toBe(BODY_TOKEN);
  });

  it.each<RefreshInput>([
    {},
    { bodyToken: "", cookieToken: "" },
    { bodyToken: "  ", cookieToken: "\t" },
    { bodyToken: undefined, cookieToken: " " },
  ])("reports missing_token without calling the provider for %j", async (input) => {
    const { provider, refresh } = setup();
    expect(await kindOf(refresh(input))).toBe("missing_token");
    expect(provider.calls).toHaveLength(0);
  });
});

describe("a cookie sent from another origin", () => {
  it("is refused as forbidden before the provider is called", async () => {
    const { provider, refresh } = setup();
    expect(await kindOf(refresh({ cookieToken: COOKIE_TOKEN, fromOtherOrigin: true }))).toBe(
      "forbidden",
    );
    expect(provider.calls).toHaveLength(0);
  });

  it("does not stop a token the request carries itself", async () => {
    const { provider, refresh } = setup();
    await refresh({ bodyToken: BODY_TOKEN, cookieToken: COOKIE_TOKEN, fromOtherOrigin: true });
    expect(provider.calls.map((call) => call.token)).toEqual([BODY_TOKEN]);
  });

  it("never counts against the token's failure limit: another page cannot lock it out", async () => {
    const failures: string[] = [];
    const refresh = createRefreshCustomerToken({
      provider: fakeProvider(() => ({ accessToken: "a.b.c", idToken: "i.d.t" })),
      verifier: fakeVerifier(() => ({ accessTokenExp: 0, claims: {} })),
      tokenFailureLimiter: {
        consume: async (key) => {
          failures.push(key);
          return 0;
        },
        blockedFor: async () => 0,
      },
    });
    for (let i = 0; i < 3; i++) {
      await refresh({ cookieToken: COOKIE_TOKEN, fromOtherOrigin: true }).catch(() => undefined);
    }
    expect(failures).toEqual([]);
  });
});

describe("refusing what cannot be a token", () => {
  it("refuses a token longer than MAX_TOKEN_LENGTH as bad_request without calling the provider", async () => {
    const { provider, refresh } = setup();
    expect(await kindOf(refresh({ bodyToken: "a".repeat(MAX_TOKEN_LENGTH + 1) }))).toBe(
      "bad_request",
    );
    expect(provider.calls).toHaveLength(0);
  });

  it("accepts a token of exactly MAX_TOKEN_LENGTH", async () => {
    const { provider, refresh } = setup();
    await refresh({ cookieToken: "a".repeat(MAX_TOKEN_LENGTH) });
    expect(provider.calls).toHaveLength(1);
  });

  it.each([
    ["an inner space", "abc def"],
    ["a double quote", 'abc"def'],
    ["a NUL", "abc\u0000def"],
    ["non-ASCII letters", "tökén.abc"],
    ["a semicolon", "abc;def"],
  ])("refuses a token with %s as unauthorized without calling the provider", async (_, token) => {
    const { provider, refresh } = setup();
    expect(await kindOf(refresh({ bodyToken: token }))).toBe("unauthorized");
    expect(provider.calls).toHaveLength(0);
  });
});

describe("the result", () => {
  it("returns the provider's tokens as a Bearer pair and hands them to the verifier", async () => {
    const { verifier, refresh } = setup({ tokens: { expiresIn: 900 } });
    const result = await refresh({ bodyToken: BODY_TOKEN });
    expect(result).toMatchObject({ accessToken: "access.jwt", idToken: "id.jwt" });
    expect(result.tokenType).toBe("Bearer");
    expect(verifier.seen).toEqual([
      expect.objectContaining({ accessToken: "access.jwt", idToken: "id.jwt" }),
    ]);
  });

  it("takes expires_in from the provider when it gives one", async () => {
    const { refresh } = setup({ tokens: { expiresIn: 1800 } });
    expect((await refresh({ bodyToken: BODY_TOKEN })).expiresIn).toBe(1800);
  });

  it("computes expires_in from the verified access token exp and the injected clock", async () => {
    const exp = Math.floor(NOW_MS / 1000) + 1234;
    const { refresh } = setup({ verified: { accessTokenExp: exp } });
    expect((await refresh({ bodyToken: BODY_TOKEN })).expiresIn).toBe(1234);
  });

  it("never reports a negative expires_in for an access token already past exp", async () => {
    const { refresh } = setup({ verified: { accessTokenExp: Math.floor(NOW_MS / 1000) - 60 } });
    expect((await refresh({ bodyToken: BODY_TOKEN })).expiresIn).toBe(0);
  });

  it("passes the caller's abort signal to the provider", async () => {
    const { provider, refresh } = setup();
    const controller = new AbortController();
    await refresh({ bodyToken: BODY_TOKEN }, controller.signal);
    expect(provider.calls[0]?.signal).toBe(controller.signal);
  });
});

describe("a rotated refresh token", () => {
  it("is delivered in the body when the token came in the body", async () => {
    const { refresh } = setup({ tokens: { refreshToken: "rotated.token" } });
    const result = await refresh({ bodyToken: BODY_TOKEN, cookieToken: COOKIE_TOKEN });
    expect(result.rotated).toEqual({ refreshToken: "rotated.token", deliverIn: "body" });
  });

  it("is delivered in the cookie when the token came in the cookie", async () => {
    const { refresh } = setup({ tokens: { refreshToken: "rotated.token" } });
    const result = await refresh({ cookieToken: COOKIE_TOKEN });
    expect(result.rotated).toEqual({ refreshToken: "rotated.token", deliverIn: "cookie" });
  });

  it("is not reported when the provider returns the same token", async () => {
    const { refresh } = setup({ tokens: { refreshToken: COOKIE_TOKEN } });
    expect((await refresh({ cookieToken: COOKIE_TOKEN })).rotated).toBeUndefined();
  });

  it("is not reported when the provider returns none", async () => {
    const { refresh } = setup();
    expect((await refresh({ bodyToken: BODY_TOKEN })).rotated).toBeUndefined();
  });
});

describe("the customer policy", () => {
  const groupPolicy = createCustomerPolicy({ requiredGroup: "customers" });
  const claimPolicy = createCustomerPolicy({
    requiredClaim: { name: "custom:role", value: "customer" },
  });

  it("is absent when nothing is required", () => {
    expect(createCustomerPolicy({})).toBeUndefined();
  });

  it.each<[string, CustomerPolicy | undefined, Record<string, unknown>]>([
    ["another group only", groupPolicy, { "cognito:groups": ["staff"] }],
    ["no groups", groupPolicy, {}],
    ["groups as a plain string", groupPolicy, { "cognito:groups": "customers" }],
    ["another claim value", claimPolicy, { "custom:role": "staff" }],
    ["the claim missing", claimPolicy, {}],
  ])("forbids an identity with %s", async (_, policy, claims) => {
    const { refresh } = setup({ policy, verified: { claims } });
    expect(await kindOf(refresh({ bodyToken: BODY_TOKEN }))).toBe("forbidden");
  });

  it.each<[string, CustomerPolicy | undefined, Record<string, unknown>]>([
    ["the required group", groupPolicy, { "cognito:groups": ["staff", "customers"] }],
    ["the required claim value", claimPolicy, { "custom:role": "customer" }],
  ])("lets through an identity with %s", async (_, policy, claims) => {
    const { refresh } = setup({ policy, verified: { claims } });
    expect((await refresh({ bodyToken: BODY_TOKEN })).accessToken).toBe("access.jwt");
  });
});

describe("errors from the ports", () => {
  it.each<RefreshErrorKind>(["internal", "unavailable", "unauthorized"])(
    "propagates a %s verifier error unchanged",
    async (kind) => {
      const error = new RefreshError(kind);
      const { refresh } = setup({ verifierError: error });
      await expect(refresh({ bodyToken: BODY_TOKEN })).rejects.toBe(error);
    },
  );

  it("propagates a provider error unchanged and does not verify", async () => {
    const error = new RefreshError("unauthorized");
    const verifier = fakeVerifier(() => ({ accessTokenExp: 0, claims: {} }));
    const provider = fakeProvider(() => {
      throw error;
    });
    const refresh = createRefreshCustomerToken({ provider, verifier });
    await expect(refresh({ bodyToken: BODY_TOKEN })).rejects.toBe(error);
    expect(verifier.seen).toHaveLength(0);
  });
});

describe("a refresh", () => {
  const TOKEN = "synthetic.refresh.token";
  const TOKENS = { accessToken: "a.b.c", idToken: "d.e.f", expiresIn: 3600 };

  it("hashes its token once and hands the key to the provider", async () => {
    const keys: (string | undefined)[] = [];
    const provider: IdentityProvider = {
      refresh: async (_token, _signal, key) => {
        keys.push(key);
        return TOKENS;
      },
    };
    const blockedFor = vi.fn(async (_key: string) => 0);
    const refresh = createRefreshCustomerToken({
      provider,
      verifier: { verify: async () => ({ accessTokenExp: 0, claims: {} }) },
      tokenFailureLimiter: { consume: async () => 0, blockedFor },
    });
    await refresh({ bodyToken: TOKEN });
    expect(keys).toEqual([tokenKey(TOKEN)]);
    expect(blockedFor).toHaveBeenCalledWith(tokenKey(TOKEN));
  });
});
