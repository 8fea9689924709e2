import { authorityOf, type Request } from "./types.ts";

/**
 * Whether a request comes from a browser page of an origin this service does not trust:
 * the defence against cross-site request forgery for cookie-carried tokens, by where a
 * request comes from rather than by its content type (OWASP's Fetch Metadata and origin
 * checks; Go's http.CrossOriginProtection).
 *
 * - `Sec-Fetch-Site: cross-site`: another site's page. Refused, listed or not: the cookie is
 *   SameSite=Strict, so no page of another site has a legitimate use for it.
 * - `same-origin` or `none` (the user typed the address): the service's own page.
 * - Otherwise the `Origin` decides: the service's own (its host is the request's Host; the
 *   scheme is not compared, as behind a TLS-terminating proxy the service cannot know it, and
 *   a Secure cookie is not sent to a plain-http page anyway) or one listed in CORS_ORIGINS is
 *   trusted. A `same-site` page must be listed: a sibling host is
 *   not trusted because it shares the site.
 * - Neither header: not a browser (curl, servers), which no page can make send a cookie.
 */
export function createOriginCheck(trustedOrigins: readonly string[]): (req: Request) => boolean {
  const trusted = new Set(trustedOrigins);
  return (req) => {
    const site = header(req, "sec-fetch-site")?.toLowerCase();
    if (site === "cross-site") return true;
    if (site === "same-origin" || site === "none") return false;
    const origin = header(req, "origin");
    // A browser sends Origin with every POST: same-site without one is not to be trusted.
    if (origin === undefined) return site !== undefined;
    if (trusted.has(origin)) return false;
    if (site === "same-site") return true;
    return !isOwnOrigin(origin, req);
  };
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isOwnOrigin(origin: string, req: Request): boolean {
  const authority = authorityOf(req);
  if (!authority || origin === "null") return false;
  try {
    return new URL(origin).host === new URL(`http://${authority}`).host;
  } catch {
    return false;
  }
}
