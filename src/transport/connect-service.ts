import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextKey,
  type HandlerContext,
} from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { annotate } from "../observability/request-context.ts";
import type { RefreshCustomerToken } from "../refresh/refresh-customer-token.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import type { RevokeCustomerToken } from "../refresh/revoke-customer-token.ts";
import { type TokenInput, tokenSource } from "../refresh/token-input.ts";
import { type CookieSettings, clearedCookie, readCookie, rotatedCookie } from "./cookie.ts";
import { connectError } from "./error-table.ts";

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
}

/** The token a message carries, else the cookie's, and where the request comes from. */
function tokenInput(messageToken: string, ctx: HandlerContext, cookieName: string): TokenInput {
  const input: TokenInput = {
    bodyToken: messageToken,
    clientAddress: ctx.values.get(clientAddressKey),
  };
  if (!messageToken.trim()) {
    input.cookieToken = readCookie(ctx.requestHeader.get("cookie"), cookieName);
    input.fromOtherOrigin = ctx.values.get(otherOriginKey);
  }
  return input;
}

/**
 * The error a handler answers, recorded for the request's log line. A cookie-carried token
 * refused as unauthorized is cleared: a response header, which Connect and gRPC-Web send
 * with the error too, so a browser drops the cookie instead of sending it again.
 */
function failure(reason: unknown, ctx: HandlerContext, input: TokenInput, cleared: string) {
  // Cut by the client's own deadline (or cancelled): say so, not "unavailable".
  if (ctx.signal.aborted && ctx.signal.reason instanceof ConnectError) {
    const { code } = ctx.signal.reason;
    const outcome = code === Code.DeadlineExceeded ? "deadline_exceeded" : "cancelled";
    annotate({ outcome, rpcCode: codeToString(code) });
    return ctx.signal.reason;
  }
  const kind = RefreshError.from(reason).kind;
  if (kind === "unauthorized" && tokenSource(input) === "cookie" && !input.fromOtherOrigin) {
    ctx.responseHeader.append("set-cookie", cleared);
  }
  const error = connectError(reason);
  annotate({ outcome: kind, rpcCode: codeToString(error.code) });
  return error;
}

/** The RPC face of the use cases, for gRPC, gRPC-Web and Connect alike. */
export function authServiceRoutes(options: AuthServiceOptions): (router: ConnectRouter) => void {
  const { refresh, revoke, cookie } = options;
  const cleared = clearedCookie(cookie);
  return (router) => {
    router.service(AuthService, {
      async refreshCustomerToken(req, ctx) {
        const input = tokenInput(req.refreshToken, ctx, cookie.name);
        try {
          const result = await refresh(input, ctx.signal);
          ctx.responseHeader.set("cache-control", "no-store");
          const setCookie = rotatedCookie(result, cookie);
          if (setCookie) ctx.responseHeader.append("set-cookie", setCookie);
          annotate({ outcome: "success", rpcCode: "ok" });
          return {
            accessToken: result.accessToken,
            idToken: result.idToken,
            expiresIn: result.expiresIn,
            tokenType: result.tokenType,
            refreshToken: result.rotated?.deliverIn === "body" ? result.rotated.refreshToken : "",
          };
        } catch (reason) {
          throw failure(reason, ctx, input, cleared);
        }
      },
      async revokeCustomerToken(req, ctx) {
        const input = tokenInput(req.refreshToken, ctx, cookie.name);
        try {
          const { source } = await revoke(input, ctx.signal);
          ctx.responseHeader.set("cache-control", "no-store");
          if (source === "cookie") ctx.responseHeader.append("set-cookie", cleared);
          annotate({ outcome: "success", rpcCode: "ok" });
          return {};
        } catch (reason) {
          throw failure(reason, ctx, input, cleared);
        }
      },
    });
  };
}
