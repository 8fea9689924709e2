import type { RefreshResult } from "../refresh/refresh-customer-token.ts";

/**
 * Every value of one cookie in a Cookie header, in the order sent: a browser holding the name
 * at several paths sends the most specific first.
 */
export function readCookies(header: string | null | undefined, name: string): string[] {
  if (!header) {
    return [];
  }
  const values: string[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) {
      continue;
    }
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    values.push(value);
  }
  return values;
}

/** Reads one cookie from a Cookie header; the first of several wins (most specific path). */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  return readCookies(header, name)[0];
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

/** Tells the browser to drop the cookie at the configured path. */
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

/**
 * What a token answer writes to the browser. Besides the configured path, a sign-in may have
 * set the cookie at `/`, and a browser keeps one cookie per name and path, sending the most
 * specific first. So the `/` one is cleared as well where it is known to be dead or unwanted:
 * once a rotation has replaced it (the request carried more than one cookie), when the only
 * cookie sent is refused (it may be that one), and at sign-out. Clearing a cookie the browser
 * does not hold changes nothing.
 */
export interface CookieWriter {
  rotated(result: RefreshResult, cookiesSent: number): string[];
  refused(cookiesSent: number): string[];
  signedOut(): readonly string[];
}

export function createCookieWriter(settings: CookieSettings): CookieWriter {
  const own = clearedCookie(settings);
  const atRoot = settings.path === "/" ? [] : [clearedCookie({ ...settings, path: "/" })];
  const both = [own, ...atRoot];
  return {
    rotated(result, cookiesSent) {
      const cookie = rotatedCookie(result, settings);
      if (!cookie) return [];
      return cookiesSent > 1 ? [cookie, ...atRoot] : [cookie];
    },
    refused: (cookiesSent) => (cookiesSent === 1 ? both : [own]),
    signedOut: () => both,
  };
}
