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
import {
  type Handler,
  type Request,
  type Response,
  rpcShapeOf,
  sendAnswer,
} from "../http/types.ts";
import { recordOutcome } from "../observability/request-context.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { asClientFault, UNREADABLE } from "../wire/decode-failure-shim.ts";
import { errorAnswer } from "../wire/error-table.ts";
import { recordAnsweredCode } from "./answered-code.ts";
import { clampDeadline } from "./deadline-header.ts";

// Above any answer this service gives (connect-es compresses a message at least this long).
const NEVER_COMPRESS = 0xffffffff;

export interface RpcHandlerOptions {
  routes: ReadonlyArray<(router: ConnectRouter) => void>;
  /** Every procedure is answered at its own path and under this prefix ("" for none). */
  basePath: string;
  readMaxBytes: number;
  contextValues: (req: Request) => ContextValues;
  /** Answers a path with no procedure (the router's not-found). */
  fallback: Handler;
}

export interface RpcHandler {
  handler: Handler;
  /** Every procedure's own path (/package.Service/Method). */
  procedures: ReadonlySet<string>;
}

/**
 * connect-node's adapter, plus one correction on the way out: connect-es
 * reports a request message it cannot decode or decompress as `internal`
 * (HTTP 500), though the client sent it. For unary methods such an answer is
 * turned into `invalid_argument` (see decode-failure-shim.ts). Every answer's code is
 * recorded as the request's outcome as it leaves (see answered-code.ts).
 */
export function createRpcHandler(options: RpcHandlerOptions): RpcHandler {
  const router = createConnectRouter({
    readMaxBytes: options.readMaxBytes,
    // Compressed requests are accepted; answers go out uncompressed. A token pair is ~2.3 KB of
    // base64 (random ids, signatures): gzip saves about 900 bytes of it for ~150 µs of CPU per
    // answer, more than the rest of the service's own work on it.
    acceptCompression: [compressionGzip, compressionBrotli],
    compressMinBytes: NEVER_COMPRESS,
  });
  for (const register of options.routes) register(router);
  const prefixes = options.basePath ? ["", options.basePath] : [""];
  const handlers = new Map(
    router.handlers.flatMap((handler) =>
      prefixes.map((prefix) => [`${prefix}${handler.requestPath}`, handler] as const),
    ),
  );
  const handler: Handler = (req, res) => {
    const procedure = handlers.get((req.url ?? "").split("?", 1)[0] ?? "");
    if (!procedure) {
      options.fallback(req, res);
      return;
    }
    clampDeadline(req);
    const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues(req));
    const unary = procedure.method.methodKind === "unary";
    procedure(uReq)
      .then((uRes) => (unary ? asClientFault(uRes) : uRes))
      .then((uRes) =>
        universalResponseToNodeResponse(
          recordAnsweredCode(uRes, rpcShapeOf(req)?.protocol ?? "connect"),
          res,
        ),
      )
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
  const procedures = new Set(router.handlers.map((procedure) => procedure.requestPath));
  return { handler, procedures };
}

function sendUnreadable(req: Request, res: Response): void {
  const error = new RefreshError("bad_request", { publicMessage: UNREADABLE });
  recordOutcome(error.kind, "invalid_argument");
  sendAnswer(res, errorAnswer(error, rpcShapeOf(req)));
}
