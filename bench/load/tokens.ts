/**
 * Refresh tokens for the load: shaped and sized like Cognito's (a five-part JWE of about
 * 1.8 KB), each ending in its own tag so that no two requests in flight are identical (the
 * service would coalesce them) and so the fake can report how long it held each one.
 */
import { randomBytes } from "node:crypto";

const JWE_HEADER = Buffer.from('{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}').toString(
  "base64url",
);

/** Everything but the last segment, fixed for a run. */
export const TOKEN_PREFIX = [
  JWE_HEADER,
  randomBytes(256).toString("base64url"),
  randomBytes(12).toString("base64url"),
  randomBytes(1200).toString("base64url"),
].join(".");

export function token(tag: string): string {
  return `${TOKEN_PREFIX}.${tag}`;
}

/** The key the fake records by: the token's last dot-separated segment. */
export function tokenTag(value: string): string {
  return value.slice(value.lastIndexOf(".") + 1);
}

/** A source of unique tokens: `${prefix}${n}`. */
export function tokenSequence(prefix: string): () => string {
  let n = 0;
  return () => token(`${prefix}${n++}`);
}
