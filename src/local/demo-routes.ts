/**
 * The demo page and its dev-only helpers, for the embedded default only. main.ts imports
 * this module inside its embedded branch and nowhere else, and the routes need the embedded
 * emulator's freshRefreshToken(), so a service configured for Cognito cannot serve them.
 *
 *   GET  /demo          the page (demo/index.html)
 *   GET  /demo/app.js   its script, bundled by esbuild (demo/build.ts) when the service starts
 *   GET  /demo/token    {"refresh_token": "<fresh demo token>"}
 *   POST /demo/cookie   sets the refresh token cookie to a fresh demo token, 204
 */
import { readFileSync } from "node:fs";
import { isLoopbackHost } from "../config/loopback.ts";
import { type CookieSettings, refreshCookie } from "../http/cookie.ts";
import {
  authorityOf,
  type Handler,
  type Request,
  type Response,
  sendAnswer,
  sendJson,
} from "../http/types.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { restError, restRoutingError } from "../wire/error-table.ts";
import { demoBundle } from "./demo/build.ts";

export interface DemoRoutesOptions {
  /** Signs the demo customer in again: a new refresh token each call. */
  freshRefreshToken(): Promise<string>;
  /** The service's refresh token cookie: the demo signs in where the service reads it. */
  cookie: CookieSettings;
  /** Where the page's Connect-web client calls the RPCs (BASE_PATH), with the cookie's path. */
  basePath: string;
  /** Told when the bundle cannot be built or the emulator cannot sign in; never given a token. */
  onError?(what: string, error: unknown): void;
  /** The host names the routes answer under: loopback ones only, unless a test names others. */
  allowHost?: (hostname: string) => boolean;
}

const PAGE_TEMPLATE = readFileSync(new URL("./demo/index.html", import.meta.url), "utf8");

// The page loads only its own script; it may call any API (`?api=`), and nothing may frame it.
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src *; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};
// Tokens must never be cached (RFC 6749 §5.1).
const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * The host name a request was sent to. A web page elsewhere can point a name of its own at
 * 127.0.0.1 (DNS rebinding) and read these routes as same-origin: they hand out tokens, so
 * they answer only under loopback names (allowHost).
 */
function hostnameOf(req: Request): string | undefined {
  const authority = authorityOf(req);
  if (!authority) return undefined;
  try {
    return new URL(`http://${authority}`).hostname;
  } catch {
    return undefined;
  }
}

function isJson(req: Request): boolean {
  const type = String(req.headers["content-type"] ?? "").split(";")[0];
  return type?.trim().toLowerCase() === "application/json";
}

export function createDemoRoutes(options: DemoRoutesOptions): ReadonlyMap<string, Handler> {
  const { freshRefreshToken, cookie, allowHost = isLoopbackHost } = options;
  const only = (method: "GET" | "POST", handle: (req: Request, res: Response) => void): Handler => {
    const allowed = method === "GET" ? ["GET", "HEAD"] : ["POST"];
    return (req, res) => {
      const hostname = hostnameOf(req);
      if (hostname === undefined || !allowHost(hostname)) {
        sendAnswer(res, restRoutingError("not_found"));
        return;
      }
      if (!allowed.includes(req.method ?? "")) {
        sendAnswer(res, restRoutingError("method_not_allowed"), { allow: allowed.join(", ") });
        return;
      }
      handle(req, res);
    };
  };
  // BASE_PATH is a path of URL-safe characters (config.ts): nothing to escape in an attribute.
  const PAGE = Buffer.from(PAGE_TEMPLATE.replace("{{BASE_PATH}}", options.basePath));
  const onError = options.onError ?? (() => {});
  // Start bundling now, in the background: start-up does not wait, the first page load does.
  demoBundle().catch((error: unknown) => onError("demo bundle", error));

  const withToken = (res: Response, send: (token: string) => void) => {
    freshRefreshToken().then(send, (error: unknown) => {
      onError("demo token", error);
      sendAnswer(res, restError(new RefreshError("unavailable")), NO_STORE);
    });
  };

  return new Map<string, Handler>([
    [
      "/demo",
      only("GET", (_req, res) => {
        res.writeHead(200, { ...PAGE_HEADERS, "content-length": PAGE.length });
        res.end(PAGE);
      }),
    ],
    [
      "/demo/app.js",
      only("GET", (_req, res) => {
        demoBundle().then(
          (script) => {
            res.writeHead(200, {
              "content-type": "text/javascript; charset=utf-8",
              "content-length": Buffer.byteLength(script),
              "cache-control": "no-store",
            });
            res.end(script);
          },
          (error: unknown) => {
            onError("demo bundle", error);
            sendAnswer(res, restError(new RefreshError("internal")));
          },
        );
      }),
    ],
    [
      "/demo/token",
      only("GET", (_req, res) => {
        withToken(res, (token) =>
          sendJson(res, 200, JSON.stringify({ refresh_token: token }), NO_STORE),
        );
      }),
    ],
    [
      "/demo/cookie",
      only("POST", (req, res) => {
        // A JSON body makes the request non-simple: another site cannot send it unpreflighted.
        if (!isJson(req)) {
          sendAnswer(res, restRoutingError("unsupported_media_type"));
          return;
        }
        req.resume();
        withToken(res, (token) => {
          // As a sign-in sets it: the same name and path the service reads and rotates.
          res.writeHead(204, { ...NO_STORE, "set-cookie": refreshCookie(cookie, token) });
          res.end();
        });
      }),
    ],
  ]);
}
