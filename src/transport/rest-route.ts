import { annotate } from "../observability/request-context.ts";
import type { RefreshCustomerToken, RefreshResult } from "../refresh/refresh-customer-token.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import type { ClientAddressOf } from "./client-address.ts";
import { readCookie, rotatedCookie } from "./cookie.ts";
import { restError, restRoutingError } from "./error-table.ts";
import { type Handler, type Request, type Response, sendJson } from "./http-types.ts";
import { parseRestBody } from "./parse-rest-body.ts";
import { readBody } from "./read-body.ts";

export interface RestRouteOptions {
  refresh: RefreshCustomerToken;
  /** The route's own path: the rotated cookie is scoped to it. */
  path: string;
  bodyLimitBytes: number;
  cookie: { name: string; maxAgeSeconds: number };
  clientAddressOf: ClientAddressOf;
}

// Token responses must never be cached (RFC 6749 §5.1).
const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

// Only a JSON request is "non-simple" for browsers, so a cross-site page cannot
// send one without a CORS preflight: that is what makes cookie mode CSRF-safe.
function isJson(req: Request): boolean {
  const type = String(req.headers["content-type"] ?? "")
    .split(";")[0]
    ?.trim()
    .toLowerCase();
  return type === "application/json";
}

function successBody(result: RefreshResult): string {
  const data: Record<string, unknown> = {
    access_token: result.accessToken,
    id_token: result.idToken,
    expires_in: result.expiresIn,
    token_type: result.tokenType,
  };
  if (result.rotated?.deliverIn === "body") {
    data.refresh_token = result.rotated.refreshToken;
  }
  return JSON.stringify({ status: "success", message: "Success", data });
}

function sendError(req: Request, res: Response, reason: unknown): void {
  const error = RefreshError.from(reason);
  annotate({ outcome: error.kind });
  const { status, headers, body } = restError(error);
  if (error.kind === "payload_too_large" && "shouldKeepAlive" in res) {
    // The rest of the body is unread: do not keep a connection we would have to drain.
    res.shouldKeepAlive = false;
  }
  sendJson(res, status, body, { ...headers, ...NO_STORE });
  if (error.kind === "payload_too_large") {
    res.once("finish", () => req.destroy());
  }
}

/** POST {BASE_PATH}/refresh-token/customer: the documented REST face of the use case. */
export function createRestRoute(options: RestRouteOptions): Handler {
  const { refresh, path, bodyLimitBytes, cookie, clientAddressOf } = options;
  const handle = async (req: Request, res: Response) => {
    // Read before the body: a client that resets mid-request has no address after.
    const clientAddress = clientAddressOf(req);
    const bodyToken = parseRestBody(await readBody(req, bodyLimitBytes));
    const cookieToken = readCookie(req.headers.cookie, cookie.name);
    if (!bodyToken?.trim() && cookieToken?.trim() && !isJson(req)) {
      throw new RefreshError("bad_request", {
        publicMessage:
          "A refresh token cookie is only accepted with Content-Type: application/json",
      });
    }
    const abort = new AbortController();
    // Only a response that closes unanswered means the client went away; aborting after the
    // answer would cost a DOMException and the signal's listeners on every request.
    res.once("close", () => {
      if (!res.writableEnded) abort.abort();
    });
    const result = await refresh({ bodyToken, cookieToken, clientAddress }, abort.signal);
    const headers: Record<string, string> = { ...NO_STORE };
    const setCookie = rotatedCookie(result, cookie, path);
    if (setCookie) {
      headers["set-cookie"] = setCookie;
    }
    annotate({ outcome: "success" });
    sendJson(res, 200, successBody(result), headers);
  };
  return (req, res) => {
    if (req.method !== "POST") {
      const { status, body } = restRoutingError("method_not_allowed");
      sendJson(res, status, body, { allow: "POST" });
      return;
    }
    handle(req, res).catch((reason: unknown) => sendError(req, res, reason));
  };
}
