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
import { clampDeadline } from "./deadline-header.ts";
import { asClientFault, UNREADABLE } from "./decode-failure.ts";
import { type Handler, type Request, type Response, sendJson } from "./http-types.ts";

// Above any answer this service gives (connect-es compresses a message at least this long).
const NEVER_COMPRESS = 0xffffffff;

export interface RpcHandlerOptions {
  routes: (router: ConnectRouter) => void;
  /** Every procedure is answered at its own path and under this prefix ("" for none). */
  basePath: string;
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
    // Compressed requests are accepted; answers go out uncompressed. A token pair is ~2.3 KB of
    // base64 (random ids, signatures): gzip saves about 900 bytes of it for ~150 µs of CPU per
    // answer, more than the rest of the service's own work on it.
    acceptCompression: [compressionGzip, compressionBrotli],
    compressMinBytes: NEVER_COMPRESS,
  });
  options.routes(router);
  const prefixes = options.basePath ? ["", options.basePath] : [""];
  const handlers = new Map(
    router.handlers.flatMap((handler) =>
      prefixes.map((prefix) => [`${prefix}${handler.requestPath}`, handler] as const),
    ),
  );
  return (req, res) => {
    const handler = handlers.get((req.url ?? "").split("?", 1)[0] ?? "");
    if (!handler) {
      options.fallback(req, res);
      return;
    }
    clampDeadline(req);
    const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues(req));
    const unary = handler.method.methodKind === "unary";
    handler(uReq)
      .then((uRes) => (unary ? asClientFault(uRes) : uRes))
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) {
          return; // The client went away.
        }
        // connect-es puts the JSON parser's message in grpc-message, and encoding it throws
        // when the message quotes half a surrogate pair: still the client's unreadable input.
        if (reason instanceof URIError && !res.headersSent) {
          sendUnreadable(req, res);
          return;
        }
        res.destroy();
      });
  };
}

function sendUnreadable(req: Request, res: Response): void {
  const type = String(req.headers["content-type"] ?? "");
  if (type.startsWith("application/grpc")) {
    // A trailers-only answer: the status travels in the headers.
    res.statusCode = 200;
    res.setHeader("content-type", type);
    res.setHeader("grpc-status", "3");
    res.setHeader("grpc-message", encodeURIComponent(UNREADABLE));
    res.end();
    return;
  }
  sendJson(res, 400, JSON.stringify({ code: "invalid_argument", message: UNREADABLE }));
}
