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

export interface RefreshCookie {
  name: string;
  value: string;
  path: string;
  maxAgeSeconds: number;
}

/**
 * A rotated refresh token goes back where page scripts cannot read it
 * (HttpOnly), only over TLS (Secure), never on cross-site requests
 * (SameSite=Strict), and only to the route that refreshes (Path).
 */
export function serializeRefreshCookie(cookie: RefreshCookie): string {
  return [
    `${cookie.name}=${cookie.value}`,
    `Path=${cookie.path}`,
    `Max-Age=${cookie.maxAgeSeconds}`,
    "HttpOnly",
    "Secure",
    "SameSite=Strict",
  ].join("; ");
}

/** The Set-Cookie for a token the provider rotated, when it goes back in the cookie. */
export function rotatedCookie(
  result: RefreshResult,
  cookie: { name: string; maxAgeSeconds: number },
  path: string,
): string | undefined {
  if (result.rotated?.deliverIn !== "cookie") {
    return undefined;
  }
  return serializeRefreshCookie({
    name: cookie.name,
    value: result.rotated.refreshToken,
    path,
    maxAgeSeconds: cookie.maxAgeSeconds,
  });
}
