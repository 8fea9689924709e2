/**
 * Baseline for the Connect and gRPC paths: a bare connect-node handler doing the same work,
 * with none of the service's own code around it (no REST route, CORS, limits, coalescing,
 * health, reflection). HTTP/1.1 for Connect JSON; cleartext HTTP/2 for Connect binary and gRPC.
 */
import { createServer as createHttp1Server, type Server } from "node:http";
import { createServer as createHttp2Server, type Http2Server } from "node:http2";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import type { Work } from "./work.ts";

function routes(work: Work) {
  return (router: ConnectRouter) => {
    router.service(AuthService, {
      async refreshCustomerToken(req, ctx) {
        const tokens = await work.refresh(req.refreshToken);
        ctx.responseHeader.set("cache-control", "no-store");
        return tokens;
      },
    });
  };
}

export function connectBareServer(work: Work, httpVersion: "1.1" | "2"): Server | Http2Server {
  // Answers uncompressed, as the service does (src/rpc/connect-adapter.ts): connect-node's
  // default gzips answers over 1 KiB for clients that accept it (grpc-js does), which would
  // make this baseline do more work than the service, not the same.
  const handler = connectNodeAdapter({ routes: routes(work), compressMinBytes: 0xffffffff });
  return httpVersion === "2" ? createHttp2Server(handler) : createHttp1Server(handler);
}
