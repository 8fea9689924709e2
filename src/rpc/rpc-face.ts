import { createContextValues } from "@connectrpc/connect";
import { Health } from "../../gen/health/v1/health_pb.ts";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { createCookieWriter } from "../http/cookie.ts";
import type { TokenFaceOptions } from "../http/token-face.ts";
import type { Handler } from "../http/types.ts";
import type { ServingStatus } from "../observability/serving-status.ts";
import { authServiceRoutes, clientAddressKey, otherOriginKey } from "./auth-service.ts";
import { createRpcHandler, type RpcHandler } from "./connect-adapter.ts";
import { healthRoutes } from "./health-service.ts";
import { reflectionRoutes } from "./reflection-service.ts";

export interface RpcFaceOptions extends TokenFaceOptions {
  /** What gRPC health reports. */
  status: ServingStatus;
  /** Answers a path with no procedure. */
  notFound: Handler;
}

/** The RPC face: AuthService, gRPC health and reflection, over Connect, gRPC and gRPC-Web. */
export function createRpcFace(options: RpcFaceOptions): RpcHandler {
  const { refresh, revoke, cookie, clientAddressOf, fromOtherOrigin } = options;
  return createRpcHandler({
    routes: [
      authServiceRoutes({ refresh, revoke, cookie, cookies: createCookieWriter(cookie) }),
      healthRoutes(options.status, [AuthService.typeName]),
      reflectionRoutes([AuthService, Health]),
    ],
    basePath: options.basePath,
    readMaxBytes: options.bodyLimitBytes,
    contextValues: (req) =>
      createContextValues()
        .set(clientAddressKey, clientAddressOf(req))
        .set(otherOriginKey, fromOtherOrigin(req)),
    fallback: options.notFound,
  });
}
