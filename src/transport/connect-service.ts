import { Code, ConnectError, type ConnectRouter, createContextKey } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { annotate } from "../observability/request-context.ts";
import type { RefreshCustomerToken } from "../refresh/refresh-customer-token.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { readCookie, rotatedCookie } from "./cookie.ts";
import { connectError } from "./error-table.ts";

/** The caller's address, put there per request by the adapter's contextValues. */
export const clientAddressKey = createContextKey<string | undefined>(undefined, {
  description: "client address",
});

export interface AuthServiceOptions {
  refresh: RefreshCustomerToken;
  cookie: { name: string; maxAgeSeconds: number };
}

/** The RPC face of the use case, for gRPC, gRPC-Web and Connect alike. */
export function authServiceRoutes(options: AuthServiceOptions): (router: ConnectRouter) => void {
  const { refresh, cookie } = options;
  return (router) => {
    router.service(AuthService, {
      async refreshCustomerToken(req, ctx) {
        try {
          const cookieToken = req.refreshToken.trim()
            ? undefined
            : readCookie(ctx.requestHeader.get("cookie"), cookie.name);
          const clientAddress = ctx.values.get(clientAddressKey);
          const result = await refresh(
            { bodyToken: req.refreshToken, cookieToken, clientAddress },
            ctx.signal,
          );
          ctx.responseHeader.set("cache-control", "no-store");
          // The URL is parsed only when a cookie needs its path: most answers carry none.
          if (result.rotated?.deliverIn === "cookie") {
            const setCookie = rotatedCookie(result, cookie, new URL(ctx.url).pathname);
            if (setCookie) ctx.responseHeader.append("set-cookie", setCookie);
          }
          annotate({ outcome: "success", rpcCode: "ok" });
          return {
            accessToken: result.accessToken,
            idToken: result.idToken,
            expiresIn: result.expiresIn,
            tokenType: result.tokenType,
            refreshToken: result.rotated?.deliverIn === "body" ? result.rotated.refreshToken : "",
          };
        } catch (reason) {
          // Cut by the client's own deadline (or cancelled): say so, not "unavailable".
          if (ctx.signal.aborted && ctx.signal.reason instanceof ConnectError) {
            const { code } = ctx.signal.reason;
            const outcome = code === Code.DeadlineExceeded ? "deadline_exceeded" : "cancelled";
            annotate({ outcome, rpcCode: codeToString(code) });
            throw ctx.signal.reason;
          }
          const error = connectError(reason);
          annotate({ outcome: RefreshError.from(reason).kind, rpcCode: codeToString(error.code) });
          throw error;
        }
      },
    });
  };
}
