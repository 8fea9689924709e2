import { countAddress } from "./address-limit.ts";
import type { HeldTokenState, RateLimiter, TokenRevoker } from "./ports.ts";
import { RefreshError } from "./refresh-error.ts";
import { pickToken, type TokenInput, type TokenSource } from "./token-input.ts";
import { tokenKey } from "./token-key.ts";

export interface RevokeResult {
  /** Where the revoked token came from: a cookie-carried one is cleared from the browser. */
  source: TokenSource;
}

export type RevokeCustomerToken = (
  input: TokenInput,
  signal?: AbortSignal,
) => Promise<RevokeResult>;

export interface RevokeDeps {
  revoker: TokenRevoker;
  /** Every request counts against its client address, as for refresh. */
  addressLimiter?: RateLimiter | undefined;
  /** Dropped once the token is revoked, so nothing the service holds outlives it. */
  held?: readonly HeldTokenState[] | undefined;
}

// Cognito's own pattern for RevokeToken's Token: anything else is no token of its, and
// sending it would earn an InvalidParameterException, a fault of ours rather than the caller's.
const REVOCABLE_SHAPE = /^[A-Za-z0-9\-_=.]+$/;

/**
 * Sign-out: revokes the refresh token wherever the request carried it. A token the provider
 * does not know (invalid, expired, revoked already) gets the same answer as a revoked one
 * (RFC 7009 section 2.2), so revocation tells nobody whether a token was ever valid; and a
 * successful revocation never counts as a failure against the token.
 */
export function createRevokeCustomerToken(deps: RevokeDeps): RevokeCustomerToken {
  const { revoker, addressLimiter, held = [] } = deps;
  return async (input, signal) => {
    await countAddress(addressLimiter, input.clientAddress);
    const { token, source } = pickToken(input);
    if (!REVOCABLE_SHAPE.test(token)) {
      return { source };
    }
    try {
      await revoker.revoke(token, signal);
    } catch (reason) {
      if (!(reason instanceof RefreshError && reason.kind === "unauthorized")) throw reason;
    }
    const key = tokenKey(token);
    await Promise.all(held.map((state) => state.forget(key)));
    return { source };
  };
}
