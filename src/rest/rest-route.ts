import type { ClientAddressOf } from "../http/client-address.ts";
import { type CookieSettings, createCookieWriter, readCookies } from "../http/cookie.ts";
import { readBody } from "../http/read-body.ts";
import { type Handler, type Request, type Response, sendAnswer, sendJson } from "../http/types.ts";
import { recordOutcome } from "../observability/request-context.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { type TokenInput, usesOwnCookie } from "../refresh/token-input.ts";
import { restError, restRoutingError } from "../wire/error-table.ts";
import { parseRestBody } from "./parse-body.ts";

/** What a REST token route answers on success: the body, and cookies to set if any. */
export interface RestAnswer {
  body: string;
  setCookie?: string | readonly string[] | undefined;
}

export interface RestRouteOptions<Result> {
  /** The use case behind the route. */
  run: (input: TokenInput, signal: AbortSignal) => Promise<Result>;
  /** `cookiesSent`: how many refresh token cookies the request carried. */
  answer: (result: Result, cookiesSent: number) => RestAnswer;
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
  error: RefreshError,
  setCookie: readonly string[],
): void {
  recordOutcome(error.kind);
  const answer = restError(error);
  if (error.kind === "payload_too_large" && "shouldKeepAlive" in res) {
    // The rest of the body is unread: do not keep a connection we would have to drain.
    res.shouldKeepAlive = false;
  }
  sendAnswer(res, answer, {
    ...NO_STORE,
    ...(setCookie.length > 0 && { "set-cookie": setCookie }),
  });
  if (error.kind === "payload_too_large") {
    res.once("finish", () => req.destroy());
  }
}

/**
 * A documented REST face of a token use case (refresh, revoke): the token from the JSON
 * body, else from the cookie. A browser may send the cookie with no body and no
 * Content-Type at all (axios `post(url)`): that is a normal request. A cookie-carried token
 * refused as unauthorized is cleared from the browser, so it is not sent again and again.
 */
export function createRestRoute<Result>(options: RestRouteOptions<Result>): Handler {
  const { run, answer, bodyLimitBytes, cookie } = options;
  const writer = createCookieWriter(cookie);
  const { clientAddressOf, fromOtherOrigin } = options;
  const handle = async (req: Request, res: Response) => {
    // Read before the body: a client that resets mid-request has no address after.
    const clientAddress = clientAddressOf(req);
    let input: TokenInput | undefined;
    let cookies: string[] = [];
    try {
      const bodyToken = parseRestBody(await readBody(req, bodyLimitBytes));
      cookies = readCookies(req.headers.cookie, cookie.name);
      input = { bodyToken, cookieToken: cookies[0], clientAddress };
      if (cookies.length > 0) input.fromOtherOrigin = fromOtherOrigin(req);
      const abort = new AbortController();
      // Only a response that closes unanswered means the client went away; aborting after the
      // answer would cost a DOMException and the signal's listeners on every request.
      res.once("close", () => {
        if (!res.writableEnded) abort.abort();
      });
      const { body, setCookie } = answer(await run(input, abort.signal), cookies.length);
      recordOutcome("success");
      const written = setCookie !== undefined && setCookie.length > 0;
      sendJson(res, 200, body, written ? { ...NO_STORE, "set-cookie": setCookie } : NO_STORE);
    } catch (reason) {
      const error = RefreshError.from(reason);
      const dead = error.kind === "unauthorized" && input !== undefined && usesOwnCookie(input);
      sendError(req, res, error, dead ? writer.refused(cookies.length) : []);
    }
  };
  return (req, res) => {
    if (req.method !== "POST") {
      recordOutcome("method_not_allowed");
      sendAnswer(res, restRoutingError("method_not_allowed"), { allow: "POST" });
      return;
    }
    // handle() answers its own failures; a throw while answering one leaves only the socket.
    handle(req, res).catch(() => res.destroy());
  };
}
