import { hash } from "node:crypto";

/**
 * The key under which a token is coalesced or rate limited: a hash, so a
 * token is never held as a map key, a limiter key or in a store like Redis.
 */
export function tokenKey(token: string): string {
  return hash("sha256", token, "base64url");
}
