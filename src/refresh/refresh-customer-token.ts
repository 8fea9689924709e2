import { countAddress, rateLimited } from "./address-limit.ts";
import type {
  Clock,
  CustomerPolicy,
  IdentityProvider,
  RateLimiter,
  TokenVerifier,
} from "./ports.ts";
import { RefreshError } from "./refresh-error.ts";
import { pickToken, type TokenInput, type TokenSource } from "./token-input.ts";
import { tokenKey } from "./token-key.ts";

export { MAX_TOKEN_LENGTH, pickToken, type TokenSource } from "./token-input.ts";

/** A refresh's input: the token wherever the request carried it, and who asks. */
export type RefreshInput = TokenInput;

export interface RefreshResult {
  accessToken: string;
  idToken: string;
  expiresIn: number;
  tokenType: "Bearer";
  /** A rotated refresh token, and where the client must receive it. */
  rotated?: { refreshToken: string; deliverIn: TokenSource } | undefined;
}

export type RefreshCustomerToken = (
  input: RefreshInput,
  signal?: AbortSignal,
) => Promise<RefreshResult>;

export interface RefreshDeps {
  provider: IdentityProvider;
  verifier: TokenVerifier;
  policy?: CustomerPolicy | undefined;
  clock?: Clock | undefined;
  /** Every request counts against its client address. */
  addressLimiter?: RateLimiter | undefined;
  /** Only refused refreshes count against their token (someone trying it again and again). */
  tokenFailureLimiter?: RateLimiter | undefined;
}

// The customer's own doing; anything else (outages, bugs) must not lock a token out.
const REFUSALS = new Set(["unauthorized", "forbidden"]);

// Base64url segments joined by dots: every Cognito token (and the emulator's)
// fits, and anything else cannot be a valid token.
const TOKEN_SHAPE = /^[A-Za-z0-9_\-.=+/]+$/;

/** The use case: one function for every transport. */
export function createRefreshCustomerToken(deps: RefreshDeps): RefreshCustomerToken {
  const clock = deps.clock ?? Date.now;
  const { addressLimiter, tokenFailureLimiter } = deps;
  const exchange = async (token: string, key: string, signal: AbortSignal | undefined) => {
    const tokens = await deps.provider.refresh(token, signal, key);
    const verified = await deps.verifier.verify(tokens);
    if (deps.policy && !deps.policy(verified.claims)) {
      throw new RefreshError("forbidden");
    }
    return { tokens, verified };
  };
  return async (input, signal) => {
    await countAddress(addressLimiter, input.clientAddress);
    const { token, source } = pickToken(input);
    if (!TOKEN_SHAPE.test(token)) {
      throw new RefreshError("unauthorized");
    }
    // Hashed once here: the limiter and the coalescer both key by it.
    const key = tokenKey(token);
    if (tokenFailureLimiter) {
      const wait = await tokenFailureLimiter.blockedFor(key);
      if (wait > 0) throw rateLimited(wait);
    }
    let exchanged: Awaited<ReturnType<typeof exchange>>;
    try {
      exchanged = await exchange(token, key, signal);
    } catch (reason) {
      if (tokenFailureLimiter && reason instanceof RefreshError && REFUSALS.has(reason.kind)) {
        await tokenFailureLimiter.consume(key);
      }
      throw reason;
    }
    const { tokens, verified } = exchanged;
    const expiresIn =
      tokens.expiresIn ?? Math.max(0, verified.accessTokenExp - Math.floor(clock() / 1000));
    const rotated =
      tokens.refreshToken && tokens.refreshToken !== token
        ? { refreshToken: tokens.refreshToken, deliverIn: source }
        : undefined;
    return {
      accessToken: tokens.accessToken,
      idToken: tokens.idToken,
      expiresIn,
      tokenType: "Bearer",
      rotated,
    };
  };
}
