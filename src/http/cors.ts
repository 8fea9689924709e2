import { cors as connectCors } from "@connectrpc/connect";
import { recordOutcome } from "../observability/request-context.ts";
import type { Handler, Request, Response } from "./types.ts";

export interface CorsOptions {
  /** Exact origins allowed to call with credentials; empty means no cross-origin access. */
  origins: readonly string[];
  maxAgeSeconds: number;
}

// What Connect, gRPC-Web and the REST route need, from connect-es itself so a
// new protocol header is picked up with the library. X-Request-Id lets browser
// clients correlate; Retry-After lets them honour 429 and 503.
const ALLOW_METHODS = [...new Set([...connectCors.allowedMethods, "POST"])].join(", ");
const ALLOW_HEADERS = [...connectCors.allowedHeaders, "X-Request-Id"].join(", ");
const EXPOSE_HEADERS = [...connectCors.exposedHeaders, "Retry-After", "X-Request-Id"].join(", ");

function isPreflight(req: Request): boolean {
  return req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
}

/**
 * CORS with an explicit allow-list. A listed origin is echoed back with
 * credentials allowed (cookie mode needs them); an unlisted one is never
 * echoed, so the browser blocks the call, and a cookie-carrying JSON request
 * from it never leaves the browser because its preflight fails.
 */
export function withCors(handler: Handler, options: CorsOptions): Handler {
  const allowed = new Set(options.origins);
  if (allowed.size === 0) {
    return handler;
  }
  const maxAge = String(options.maxAgeSeconds);
  return (req: Request, res: Response) => {
    const origin = req.headers.origin;
    res.setHeader("vary", "Origin");
    const listed = typeof origin === "string" && allowed.has(origin);
    if (listed) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-allow-credentials", "true");
    }
    if (!isPreflight(req)) {
      if (listed) {
        res.setHeader("access-control-expose-headers", EXPOSE_HEADERS);
      }
      handler(req, res);
      return;
    }
    if (listed) {
      res.setHeader("access-control-allow-methods", ALLOW_METHODS);
      res.setHeader("access-control-allow-headers", ALLOW_HEADERS);
      res.setHeader("access-control-max-age", maxAge);
    }
    recordOutcome("success");
    res.statusCode = 204;
    res.end();
  };
}
