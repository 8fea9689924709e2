import { annotate } from "../observability/request-context.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { type TokenInput, tokenSource } from "../refresh/token-input.ts";
import type { ClientAddressOf } from "./client-address.ts";
import { type CookieSettings, clearedCookie, readCookie } from "./cookie.ts";
import { restError, restRoutingError } from "./error-table.ts";
import { type Handler, type Request, type Response, sendJson } from "./http-types.ts";
import { parseRestBody } from "./parse-rest-body.ts";
import { readBody } from "./read-body.ts";

/** What a REST token route answers on success: the body, and a cookie to set if any. */
export interface RestAnswer {
  body: string;
  setCookie?: string | undefined;
}

export interface RestRouteOptions<Result> {
  /** The use case behind the route. */
  run: (input: TokenInput, signal: AbortSignal) => Promise<Result>;
  answer: (result: Result) => RestAnswer;
  bodyLimitBytes: number;
  cookie: CookieSettings;
  clientAddressOf: ClientAddressOf;
  fromOtherOrigin: (req: Request) => boolean;
}

// Token responses must never be cached (RFC 6749 §5.1).
const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

function sendError(
  req: Request,
  res: Response,
  reason: unknown,
  clearCookie: string | undefined,
): void {
  const error = RefreshError.from(reason);
  annotate({ outcome: error.kind });
  const { status, headers, body } = restError(error);
  if (error.kind === "payload_too_large" && "shouldKeepAlive" in res) {
    // The rest of the body is unread: do not keep a connection we would have to drain.
    res.shouldKeepAlive = false;
  }
  const answer: Record<string, string> = { ...headers, ...NO_STORE };
  if (clearCookie && error.kind === "unauthorized") answer["set-cookie"] = clearCookie;
  sendJson(res, status, body, answer);
  if (error.kind === "payload_too_large") {
    res.once("finish", () => req.destroy());
  }
}

/**
 * A documented REST face of a token use case (refresh, revoke): the token from the JSON
 * body, else from the cookie. A browser may send the cookie with no body and no
 * Content-Type at all (axios `post(url)`): that is a normal request. A refused cookie-carried
 * token is cleared from the browser, so it is not sent again and again.
 */
export function createRestRoute<Result>(options: RestRouteOptions<Result>): Handler {
  const { run, answer, bodyLimitBytes, cookie, clientAddressOf, fromOtherOrigin } = options;
  const cleared = clearedCookie(cookie);
  // `refusal` is this request's own: what to clear if its token is refused.
  const handle = async (req: Request, res: Response, refusal: { clear?: string }) => {
    // Read before the body: a client that resets mid-request has no address after.
    const clientAddress = clientAddressOf(req);
    const bodyToken = parseRestBody(await readBody(req, bodyLimitBytes));
    const cookieToken = readCookie(req.headers.cookie, cookie.name);
    const input: TokenInput = { bodyToken, cookieToken, clientAddress };
    if (cookieToken !== undefined) input.fromOtherOrigin = fromOtherOrigin(req);
    if (tokenSource(input) === "cookie" && !input.fromOtherOrigin) refusal.clear = cleared;
    const abort = new AbortController();
    // Only a response that closes unanswered means the client went away; aborting after the
    // answer would cost a DOMException and the signal's listeners on every request.
    res.once("close", () => {
      if (!res.writableEnded) abort.abort();
    });
    const { body, setCookie } = answer(await run(input, abort.signal));
    const headers: Record<string, string> = { ...NO_STORE };
    if (setCookie) headers["set-cookie"] = setCookie;
    annotate({ outcome: "success" });
    sendJson(res, 200, body, headers);
  };
  return (req, res) => {
    if (req.method !== "POST") {
      const { status, body } = restRoutingError("method_not_allowed");
      sendJson(res, status, body, { allow: "POST" });
      return;
    }
    const refusal: { clear?: string } = {};
    handle(req, res, refusal).catch((reason: unknown) =>
      sendError(req, res, reason, refusal.clear),
    );
  };
}
