import type { RefreshErrorKind } from "./refresh-error.ts";

/** The tokens an identity provider hands back for a refresh token. */
export interface ProviderTokens {
  accessToken: string;
  idToken: string;
  /** Access token lifetime in seconds, when the provider says. */
  expiresIn?: number | undefined;
  /** Present only when the provider rotated the refresh token. */
  refreshToken?: string | undefined;
}

/** Exchanges a refresh token; throws RefreshError for every failure. */
export interface IdentityProvider {
  /** `key` is the token's tokenKey() when the caller has it already: it is not hashed again. */
  refresh(refreshToken: string, signal?: AbortSignal, key?: string): Promise<ProviderTokens>;
}

/**
 * Revokes a refresh token and the tokens issued from it; throws RefreshError. A token the
 * provider does not know (invalid, expired, revoked already) is refused as `unauthorized`.
 */
export interface TokenRevoker {
  revoke(refreshToken: string, signal?: AbortSignal): Promise<void>;
}

/**
 * What the service itself holds for a token, keyed by its tokenKey(): calls in flight that
 * later requests would join, answers it would hand out again. Revocation drops it all.
 */
export interface HeldTokenState {
  forget(key: string): Promise<void> | void;
}

/** The verified claims of a token pair. */
export interface VerifiedTokens {
  /** Access token expiry, seconds since the epoch. */
  accessTokenExp: number;
  /** Claims of the id token (and the access token's `cognito:groups`). */
  claims: Readonly<Record<string, unknown>>;
}

/** Checks signature, issuer, client and token_use; throws RefreshError. */
export interface TokenVerifier {
  verify(tokens: ProviderTokens): Promise<VerifiedTokens>;
}

/** Decides whether a verified identity is a customer allowed to refresh. */
export type CustomerPolicy = (claims: Readonly<Record<string, unknown>>) => boolean;

export type Clock = () => number;

/**
 * A counter of hits per key over a window. Both methods resolve to 0 when the
 * key may proceed, else to the seconds until it may.
 */
export interface RateLimiter {
  /** Counts one hit for key. */
  consume(key: string): Promise<number>;
  /** Looks without counting. */
  blockedFor(key: string): Promise<number>;
}

/** How the call that held a key's claim ended: "ok" (its answer is in the store) or its kind. */
export type ClaimOutcome = "ok" | RefreshErrorKind;

/** This caller holds the upstream call for a key until it settles or the claim expires. */
export interface Claim {
  /** Ends the claim and tells those waiting on the key how the call ended. */
  settle(outcome: ClaimOutcome): Promise<void>;
}

/** A watch on a key, set before looking, so an outcome announced meanwhile is not missed. */
export interface ClaimWatch {
  /**
   * The outcome another caller announces for the key; "expired" once `ms` pass without one
   * (its claim has lapsed: its holder is gone); rejects when `signal` aborts.
   */
  outcome(ms: number, signal: AbortSignal | undefined): Promise<ClaimOutcome | "expired">;
  close(): void;
}

/**
 * Where refresh answers are kept for the replay window: sealed (ciphertext only), by the
 * token's key. Across replicas it also decides who calls upstream for a key.
 */
export interface ReplayStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, sealed: string, ttlMs: number): Promise<void>;
  /** Drops key's answer, and keeps any answer put for it out for `ms` (a call still running). */
  forget(key: string, ms: number): Promise<void>;
  watch(key: string): ClaimWatch;
  /** The claim on `key` for `ms`, or how long the claim someone else holds has left. */
  claim(key: string, ms: number): Promise<Claim | { heldForMs: number }>;
}
