import type { RouteLabel } from "../observability/protocol.ts";
import { recordOutcome } from "../observability/request-context.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { errorAnswer, type RoutingErrorKind, routingError } from "../wire/error-table.ts";
import { type CorsOptions, withCors } from "./cors.ts";
import {
  authorityOf,
  type Handler,
  pathOf,
  type Request,
  type Response,
  rpcShapeOf,
  sendAnswer,
} from "./types.ts";

export interface RouterOptions {
  /** The documented REST routes, by exact path. */
  rest: ReadonlyMap<string, Handler>;
  /** Probes, documents and any other plain HTTP routes, by exact path. */
  http: ReadonlyMap<string, Handler>;
  /** The RPC procedures, at their own paths and under `basePath`. */
  rpc: { handler: Handler; procedures: ReadonlySet<string> };
  basePath: string;
  cors: CorsOptions;
  /** Wraps every route (logs, metrics), told each path's bounded label. */
  observe?: ((handler: Handler, labelOf: (path: string) => RouteLabel) => Handler) | undefined;
}

/** An answer the router gives itself, recorded as the request's outcome. */
function refuse(req: Request, res: Response, error: RefreshError | RoutingErrorKind): void {
  const rpc = rpcShapeOf(req);
  const isKind = error instanceof RefreshError;
  const answer = isKind ? errorAnswer(error, rpc) : routingError(error, rpc);
  recordOutcome(isKind ? error.kind : error, answer.rpcCode);
  sendAnswer(res, answer);
}

/** A path no route has: `unimplemented` for an RPC request, the REST 404 otherwise. */
export const notFound: Handler = (req, res) => refuse(req, res, "not_found");

/**
 * Every route on the one port. REST and plain HTTP routes are matched by exact path; every
 * other path goes to the RPC handler (Connect, gRPC and gRPC-Web), whose unknown paths come
 * back to `notFound`. Errors the router answers itself take the shape of the request's
 * protocol, so a gRPC client reads a status, not a REST body.
 */
export function createRouter(options: RouterOptions): Handler {
  const { rest, http, rpc, basePath } = options;
  const exact = new Map([...rest, ...http]);
  // Only known paths become labels: any other path is "unmatched", so a scan of random URLs
  // cannot grow the metrics without bound.
  const labelOf = (path: string): RouteLabel => {
    if (rest.has(path)) return { route: path, kind: "rest" };
    if (http.has(path)) return { route: path, kind: "http" };
    // One label per procedure, whether called at the root or under BASE_PATH.
    const procedure =
      basePath && path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : path;
    if (rpc.procedures.has(procedure)) return { route: procedure, kind: "rpc" };
    return { route: "unmatched", kind: "http" };
  };
  const dispatch: Handler = (req, res) => {
    const route = exact.get(pathOf(req));
    if (route) {
      route(req, res);
    } else if (hasAuthority(req)) {
      rpc.handler(req, res);
    } else {
      refuse(req, res, new RefreshError("bad_request", { publicMessage: "Invalid Host header" }));
    }
  };
  const routes = withCors(guard(dispatch), options.cors);
  return options.observe ? options.observe(routes, labelOf) : routes;
}

/**
 * The Connect adapter builds the request URL from Host (or :authority) inside the request
 * listener and throws when there is none or it is no authority: that would be an uncaught
 * exception, so such requests stop here with a 400.
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
      refuse(req, res, RefreshError.from(reason));
    }
  };
}
