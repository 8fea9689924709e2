import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createConnectRouter,
} from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import { asClientFault } from "./decode-failure.ts";
import type { Handler, Request } from "./http-types.ts";

export interface RpcHandlerOptions {
  routes: (router: ConnectRouter) => void;
  readMaxBytes: number;
  contextValues: (req: Request) => ContextValues;
  fallback: Handler;
}

/**
 * connect-node's adapter, plus one correction on the way out: connect-es
 * reports a request message it cannot decode or decompress as `internal`
 * (HTTP 500), though the client sent it. For unary methods such an answer is
 * turned into `invalid_argument` (see decode-failure.ts).
 */
export function createRpcHandler(options: RpcHandlerOptions): Handler {
  const router = createConnectRouter({
    readMaxBytes: options.readMaxBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
  });
  options.routes(router);
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, handler]));
  return (req, res) => {
    const handler = handlers.get((req.url ?? "").split("?", 1)[0] ?? "");
    if (!handler) {
      options.fallback(req, res);
      return;
    }
    const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues(req));
    const unary = handler.method.methodKind === "unary";
    handler(uReq)
      .then((uRes) => (unary ? asClientFault(uRes) : uRes))
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        // The client went away, or writing failed: nothing left to answer.
        if (ConnectError.from(reason).code !== Code.Aborted) {
          res.destroy();
        }
      });
  };
}
