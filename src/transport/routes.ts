import { readFileSync } from "node:fs";
import { type ConnectRouter, createContextValues } from "@connectrpc/connect";
import type { RouteLabel } from "../observability/protocol.ts";
import { annotate } from "../observability/request-context.ts";
import type { RefreshCustomerToken, RefreshResult } from "../refresh/refresh-customer-token.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import type { RevokeCustomerToken } from "../refresh/revoke-customer-token.ts";
import type { ClientAddressOf } from "./client-address.ts";
import { authServiceRoutes, clientAddressKey, otherOriginKey } from "./connect-service.ts";
import { type CookieSettings, createCookieWriter } from "./cookie.ts";
import { type CorsOptions, withCors } from "./cors.ts";
import { restError, restRoutingError } from "./error-table.ts";
import { authorityOf, type Handler, type Request, sendJson } from "./http-types.ts";
import { createOriginCheck } from "./origin-check.ts";
import { REFRESH_ROUTE, REVOKE_ROUTE } from "./rest-paths.ts";
import { createRestRoute } from "./rest-route.ts";
import { createRpcHandler } from "./rpc-adapter.ts";

export interface RoutesOptions {
  refresh: RefreshCustomerToken;
  revoke: RevokeCustomerToken;
  basePath: string;
  bodyLimitBytes: number;
  cookie: CookieSettings;
  /** True once the service can serve refreshes (configuration valid, JWKS loaded). */
  isReady: () => boolean;
  /** Facts /readyz reports beside its status, such as where rate limits are counted. */
  readyDetail?: () => Readonly<Record<string, string>>;
  cors: CorsOptions;
  clientAddressOf: ClientAddressOf;
  /** More RPC services (health, reflection), served beside AuthService. */
  services?: ReadonlyArray<(router: ConnectRouter) => void>;
  /** More exact-path routes (the embedded demo page). */
  extraRoutes?: ReadonlyMap<string, Handler>;
  /** Wraps every route (logs, metrics), told each path's bounded label. */
  observe?: ((handler: Handler, labelOf: (path: string) => RouteLabel) => Handler) | undefined;
}

// Read once at start-up; served as is.
const openApiDocument = readFileSync(new URL("./openapi.json", import.meta.url), "utf8");

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

/**
 * Every route on the port. The REST and operational routes are matched here
 * by exact path; everything else is the Connect adapter's (Connect, gRPC and
 * gRPC-Web), whose fallback answers 404. The RPC procedures are answered at
 * the root, where gRPC clients call them, and under BASE_PATH, so a browser's
 * Connect-web client sends the same cookie as the REST routes.
 */
export function createRoutes(options: RoutesOptions): Handler {
  const { refresh, revoke, basePath, bodyLimitBytes, cookie, isReady, services = [] } = options;
  const restPath = `${basePath}${REFRESH_ROUTE}`;
  const revokePath = `${basePath}${REVOKE_ROUTE}`;
  const { clientAddressOf } = options;
  const fromOtherOrigin = createOriginCheck(options.cors.origins);
  const cookies = createCookieWriter(cookie);
  const shared = { bodyLimitBytes, cookie, clientAddressOf, fromOtherOrigin };
  const rest = createRestRoute({
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
  const notFound: Handler = (_req, res) => {
    const { status, body } = restRoutingError("not_found");
    sendJson(res, status, body);
  };
  let procedures: ReadonlySet<string> = new Set();
  const rpc = createRpcHandler({
    routes: (router) => {
      authServiceRoutes({ refresh, revoke, cookie, cookies })(router);
      for (const register of services) register(router);
      procedures = new Set(router.handlers.map((handler) => handler.requestPath));
    },
    basePath,
    readMaxBytes: bodyLimitBytes,
    contextValues: (req) =>
      createContextValues()
        .set(clientAddressKey, clientAddressOf(req))
        .set(otherOriginKey, fromOtherOrigin(req)),
    fallback: notFound,
  });
  const getOnly = (body: () => [number, string]): Handler => {
    return (req, res) => {
      if (req.method !== "GET" && req.method !== "HEAD") {
        const error = restRoutingError("method_not_allowed");
        sendJson(res, error.status, error.body, { allow: "GET, HEAD" });
        return;
      }
      const [status, text] = body();
      sendJson(res, status, text, { "cache-control": "no-store" });
    };
  };
  const exact = new Map<string, Handler>([
    [restPath, rest],
    [revokePath, revokeRoute],
    ["/healthz", getOnly(() => [200, '{"status":"ok"}'])],
    [
      "/readyz",
      getOnly(() => {
        const ready = isReady();
        const body = { status: ready ? "ready" : "not_ready", ...options.readyDetail?.() };
        return [ready ? 200 : 503, JSON.stringify(body)];
      }),
    ],
    [`${basePath}/openapi.json`, getOnly(() => [200, openApiDocument])],
    ...(options.extraRoutes ?? []),
  ]);
  // Only known paths become labels: any other path is "unmatched", so a scan of
  // random URLs cannot grow the metrics without bound.
  const labelOf = (path: string): RouteLabel => {
    if (path === restPath || path === revokePath) return { route: path, kind: "rest" };
    if (exact.has(path)) return { route: path, kind: "http" };
    // One label per procedure, whether called at the root or under BASE_PATH.
    const procedure =
      basePath && path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : path;
    if (procedures.has(procedure)) return { route: procedure, kind: "rpc" };
    return { route: "unmatched", kind: "http" };
  };
  const dispatch: Handler = (req, res) => {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    const route = exact.get(path);
    if (route) {
      route(req, res);
    } else if (hasAuthority(req)) {
      rpc(req, res);
    } else {
      const { status, headers, body } = restError(
        new RefreshError("bad_request", { publicMessage: "Invalid Host header" }),
      );
      sendJson(res, status, body, headers);
    }
  };
  const routes = withCors(guard(dispatch), options.cors);
  return options.observe ? options.observe(routes, labelOf) : routes;
}

/**
 * The Connect adapter builds the request URL from Host (or :authority) inside
 * the request listener and throws when there is none or it is no authority:
 * that would be an uncaught exception, so such requests stop here with a 400.
 */
function hasAuthority(req: Request): boolean {
  const authority = authorityOf(req);
  if (!authority) {
    return false;
  }
  try {
    new URL(req.url ?? "/", `http://${authority}`);
    return true;
  } catch {
    return false;
  }
}

/** A throw out of a request listener would end the process: answer 500 instead. */
function guard(handler: Handler): Handler {
  return (req, res) => {
    try {
      handler(req, res);
    } catch (reason) {
      const error = RefreshError.from(reason);
      annotate({ outcome: error.kind });
      const { status, headers, body } = restError(error);
      sendJson(res, status, body, headers);
    }
  };
}
