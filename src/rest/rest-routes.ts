import { createCookieWriter } from "../http/cookie.ts";
import type { TokenFaceOptions } from "../http/token-face.ts";
import type { Handler } from "../http/types.ts";
import type { RefreshResult } from "../refresh/refresh-customer-token.ts";
import { REFRESH_ROUTE, REVOKE_ROUTE } from "./paths.ts";
import { createRestRoute } from "./rest-route.ts";

export type RestRoutesOptions = TokenFaceOptions;

/** The documented success envelope; the rotated token goes here only for a body caller. */
function refreshBody(result: RefreshResult): string {
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

const REVOKED = '{"status":"success","message":"Success"}';

/** The REST face: refresh and revoke under BASE_PATH, at the proto's google.api.http paths. */
export function createRestRoutes(options: RestRoutesOptions): Map<string, Handler> {
  const { refresh, revoke, basePath } = options;
  const cookies = createCookieWriter(options.cookie);
  const shared = {
    bodyLimitBytes: options.bodyLimitBytes,
    cookie: options.cookie,
    clientAddressOf: options.clientAddressOf,
    fromOtherOrigin: options.fromOtherOrigin,
  };
  const refreshRoute = createRestRoute({
    ...shared,
    run: refresh,
    answer: (result: RefreshResult, cookiesSent) => ({
      body: refreshBody(result),
      setCookie: cookies.rotated(result, cookiesSent),
    }),
  });
  const revokeRoute = createRestRoute({
    ...shared,
    run: revoke,
    answer: ({ source }) => ({
      body: REVOKED,
      setCookie: source === "cookie" ? cookies.signedOut() : undefined,
    }),
  });
  return new Map([
    [`${basePath}${REFRESH_ROUTE}`, refreshRoute],
    [`${basePath}${REVOKE_ROUTE}`, revokeRoute],
  ]);
}
