/**
 * Reading a JWT for display only. The page does not verify signatures: the service already
 * did (against the pool's JWKS) before it answered, and the page has no business trusting
 * its own decoding for anything but showing it.
 */

export interface DecodedJwt {
  header: unknown;
  payload: unknown;
}

function part(segment: string | undefined): unknown {
  const base64 = (segment ?? "").replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function decodeJwt(token: string): DecodedJwt | { error: string } {
  const [header, payload] = token.split(".");
  try {
    return { header: part(header), payload: part(payload) };
  } catch {
    return { error: "not a JWT this page can decode" };
  }
}

/** "expires at <local time> (in N s)" from the token's own exp claim. */
export function describeExpiry(token: string, now = Date.now()): string {
  const decoded = decodeJwt(token);
  const exp = "payload" in decoded ? (decoded.payload as { exp?: unknown }).exp : undefined;
  if (typeof exp !== "number") {
    return "expiry: the access token has no exp claim";
  }
  const seconds = Math.round(exp - now / 1000);
  return `expires at ${new Date(exp * 1000).toLocaleString()} (exp claim; in ${seconds} s)`;
}
