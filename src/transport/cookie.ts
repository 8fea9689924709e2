import type { RefreshResult } from "../refresh/refresh-customer-token.ts";

/** Reads one cookie from a Cookie header; the first of several wins (most specific path). */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) {
    return undefined;
  }
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) {
      continue;
    }
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    return value;
  }
  return undefined;
}

/** The refresh token cookie as configured: one name and one path for every face. */
export interface CookieSettings {
  name: string;
  path: string;
  maxAgeSeconds: number;
}

/**
 * The one shape of every refresh token cookie the service writes: where page scripts cannot
 * read it (HttpOnly), only over TLS (Secure), never on another site's requests
 * (SameSite=Strict), for this host only (no Domain), and at the one configured path, so
 * REST, Connect and gRPC-Web all read and replace the same cookie.
 */
function serialize(settings: CookieSettings, value: string, maxAgeSeconds: number): string {
  return [
    `${settings.name}=${value}`,
    `Path=${settings.path}`,
    `Max-Age=${maxAgeSeconds}`,
    "HttpOnly",
    "Secure",
    "SameSite=Strict",
  ].join("; ");
}

/** The cookie holding a refresh token (a rotated one, or the demo's sign-in). */
export function refreshCookie(settings: CookieSettings, token: string): string {
  return serialize(settings, token, settings.maxAgeSeconds);
}

/** Tells the browser to drop the cookie: its token is refused or revoked. */
export function clearedCookie(settings: CookieSettings): string {
  return serialize(settings, "", 0);
}

/** The Set-Cookie for a token the provider rotated, when it goes back in the cookie. */
export function rotatedCookie(result: RefreshResult, settings: CookieSettings): string | undefined {
  if (result.rotated?.deliverIn !== "cookie") {
    return undefined;
  }
  return refreshCookie(settings, result.rotated.refreshToken);
}
