import {
  ConnectError,
  type ConnectRouter,
  createContextKey,
  type HandlerContext,
} from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { type CookieSettings, type CookieWriter, readCookies } from "../http/cookie.ts";
import { recordOutcome } from "../observability/request-context.ts";
import type { RefreshCustomerToken } from "../refresh/refresh-customer-token.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import type { RevokeCustomerToken } from "../refresh/revoke-customer-token.ts";
import { type TokenInput, usesOwnCookie } from "../refresh/token-input.ts";
import { connectError } from "../wire/error-table.ts";
import { outcomeOfCode } from "../wire/outcome.ts";

/** The caller's address, put there per request by the adapter's contextValues. */
export const clientAddressKey = createContextKey<string | undefined>(undefined, {
  description: "client address",
});

/** Whether the request comes from a page of an untrusted origin (see origin-check.ts). */
export const otherOriginKey = createContextKey<boolean>(false, {
  description: "from another origin",
});

export interface AuthServiceOptions {
  refresh: RefreshCustomerToken;
  revoke: RevokeCustomerToken;
  cookie: CookieSettings;
  cookies: CookieWriter;
}

/** A request's token input, and how many refresh token cookies it carried. */
interface Carried {
  input: TokenInput;
  cookiesSent: number;
}

/** The token a message carries, else the cookie's, and where the request comes from. */
function carried(messageToken: string, ctx: HandlerContext, cookieName: string): Carried {
  const input: TokenInput = {
    bodyToken: messageToken,
    clientAddress: ctx.values.get(clientAddressKey),
  };
  if (messageToken.trim()) return { input, cookiesSent: 0 };
  const cookies = readCookies(ctx.requestHeader.get("cookie"), cookieName);
  input.cookieToken = cookies[0];
  input.fromOtherOrigin = ctx.values.get(otherOriginKey);
  return { input, cookiesSent: cookies.length };
}

function setCookies(ctx: HandlerContext, values: readonly string[]): void {
  for (const value of values) ctx.responseHeader.append("set-cookie", value);
}

/**
 * The error a handler answers, recorded for the request's log line. A cookie-carried token
 * refused as unauthorized is cleared: a response header, which Connect and gRPC-Web send
 * with the error too, so a browser drops the cookie instead of sending it again.
 */
function failure(reason: unknown, ctx: HandlerContext, sent: Carried, cookies: CookieWriter) {
  // Cut by the client's own deadline (or cancelled): say so, not "unavailable".
  if (ctx.signal.aborted && ctx.signal.reason instanceof ConnectError) {
    const { outcome, rpcCode } = outcomeOfCode(ctx.signal.reason.code);
    recordOutcome(outcome, rpcCode);
    return ctx.signal.reason;
  }
  const kind = RefreshError.from(reason).kind;
  if (kind === "unauthorized" && usesOwnCookie(sent.input)) {
    setCookies(ctx, cookies.refused(sent.cookiesSent));
  }
  const error = connectError(reason);
  recordOutcome(kind, codeToString(error.code));
  return error;
}

/** The RPC face of the use cases, for gRPC, gRPC-Web and Connect alike. */
export function authServiceRoutes(options: AuthServiceOptions): (router: ConnectRouter) => void {
  const { refresh, revoke, cookie, cookies } = options;
  return (router) => {
    router.service(AuthService, {
      async refreshCustomerToken(req, ctx) {
        const sent = carried(req.refreshToken, ctx, cookie.name);
        try {
          const result = await refresh(sent.input, ctx.signal);
          ctx.responseHeader.set("cache-control", "no-store");
          setCookies(ctx, cookies.rotated(result, sent.cookiesSent));
          recordOutcome("success", "ok");
          return {
            accessToken: result.accessToken,
            idToken: result.idToken,
            expiresIn: result.expiresIn,
            tokenType: result.tokenType,
            refreshToken: result.rotated?.deliverIn === "body" ? result.rotated.refreshToken : "",
          };
        } catch (reason) {
          throw failure(reason, ctx, sent, cookies);
        }
      },
      async revokeCustomerToken(req, ctx) {
        const sent = carried(req.refreshToken, ctx, cookie.name);
        try {
          const { source } = await revoke(sent.input, ctx.signal);
          ctx.responseHeader.set("cache-control", "no-store");
          if (source === "cookie") setCookies(ctx, cookies.signedOut());
          recordOutcome("success", "ok");
          return {};
        } catch (reason) {
          throw failure(reason, ctx, sent, cookies);
        }
      },
    });
  };
}
