import { RefreshError } from "./refresh-error.ts";

/** Where the refresh token was found; decides where a rotated one goes back. */
export type TokenSource = "body" | "cookie";

/** What every face hands the use cases: the token wherever the request carried it. */
export interface TokenInput {
  /** The token from the request body or message, if any. */
  bodyToken?: string | undefined;
  /** The token from the refresh token cookie, if any. */
  cookieToken?: string | undefined;
  /**
   * The request comes from a browser page of an origin the service does not trust. A
   * cookie is sent by the browser whoever made the page, so such a request may only use a
   * token it carries itself (cross-site request forgery).
   */
  fromOtherOrigin?: boolean | undefined;
  /** Who is asking, for the per-address limit; absent when unknown. */
  clientAddress?: string | undefined;
}

/**
 * Real Cognito refresh tokens are JWEs of about 1.8 KB; anything past this is
 * not a token, and is refused before it costs an upstream call.
 */
export const MAX_TOKEN_LENGTH = 8192;

/** Which token a request uses: the body's when it has one, else the cookie's. */
export function tokenSource(input: TokenInput): TokenSource | undefined {
  if (input.bodyToken?.trim()) return "body";
  if (input.cookieToken?.trim()) return "cookie";
  return undefined;
}

/**
 * Whether the request's token is its cookie's and the request may change that cookie: not
 * from a page of another origin, which is refused and must not touch the customer's session.
 */
export function usesOwnCookie(input: TokenInput): boolean {
  return tokenSource(input) === "cookie" && !input.fromOtherOrigin;
}

/**
 * The token to use and where it came from. A cookie-carried token from another origin is
 * refused before anything else happens: it is not the customer's own page asking.
 */
export function pickToken(input: TokenInput): { token: string; source: TokenSource } {
  const source = tokenSource(input);
  if (source === undefined) {
    throw new RefreshError("missing_token");
  }
  if (source === "cookie" && input.fromOtherOrigin) {
    throw new RefreshError("forbidden", { reason: "cookie sent from another origin" });
  }
  const token = (source === "body" ? input.bodyToken : input.cookieToken)?.trim() ?? "";
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new RefreshError("bad_request", { publicMessage: "Refresh Token is too long" });
  }
  return { token, source };
}
