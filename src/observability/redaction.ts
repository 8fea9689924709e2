/**
 * The logger's safety net. The first defence is that no caller passes anything
 * token-bearing (see log.ts); this catches a mistake that slips past review.
 */

// Field names that carry, or are, credentials.
const SECRET_KEYS = [
  "refresh_token",
  "refreshToken",
  "access_token",
  "accessToken",
  "id_token",
  "idToken",
  "token",
  "tokens",
  "cookie",
  "cookies",
  "set-cookie",
  "authorization",
  "Authorization",
  "client_secret",
  "clientSecret",
  "password",
];

/**
 * pino redaction paths: each key at the top level (the only level our Logger's
 * flat fields have), and under the header maps pino's own request serializers
 * would write. No wildcards: pino checks a wildcard path by walking every key
 * of every line, which costs tens of microseconds a line.
 */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.map((key) => (/^[A-Za-z_]\w*$/.test(key) ? key : `["${key}"]`)),
  ...["req.headers", "res.headers", "headers"].flatMap((map) => [
    `${map}.cookie`,
    `${map}.authorization`,
    `${map}["set-cookie"]`,
  ]),
];

export const CENSOR = "[redacted]";

// A JWT or JWE (three or five long base64url segments joined by dots), a bearer
// credential, or a long opaque run of token characters: nothing we log on purpose
// looks like these (host names' labels and route paths are far shorter).
const TOKEN_LIKE =
  /[A-Za-z0-9_-]{16,}(?:\.[A-Za-z0-9_-]{16,}){2,}|Bearer\s+\S+|[A-Za-z0-9_\-+=]{40,}/g;

/** Replaces anything token-shaped in a string we are about to log. */
export function scrub(text: string): string {
  // Most of what we log (labels, ids, routes) is too short to be any of those.
  if (text.length < 40 && !text.includes("Bearer")) return text;
  return text.replace(TOKEN_LIKE, CENSOR);
}
