import { Code, ConnectError } from "@connectrpc/connect";
import { RefreshError, type RefreshErrorKind } from "../refresh/refresh-error.ts";
import type { RpcProtocol } from "./protocol.ts";
import { rpcErrorAnswer } from "./rpc-error.ts";

/**
 * The one error table (README, Errors): every error kind and routing failure, to its REST
 * status and body and its RPC code. Nothing else in the code picks an error's status, code or
 * body.
 */
interface Row {
  status: number;
  code: Code;
  message: string;
  errorCode: string;
}

const TABLE: Readonly<Record<RefreshErrorKind, Row>> = {
  missing_token: {
    status: 400,
    code: Code.InvalidArgument,
    message: "Refresh Token is Required",
    errorCode: "INVALID",
  },
  bad_request: {
    status: 400,
    code: Code.InvalidArgument,
    message: "Bad Request",
    errorCode: "INVALID",
  },
  unauthorized: {
    status: 401,
    code: Code.Unauthenticated,
    message: "Unauthorized",
    errorCode: "ERR_UNAUTHORIZED",
  },
  forbidden: {
    status: 403,
    code: Code.PermissionDenied,
    message: "Forbidden",
    errorCode: "ERR_FORBIDDEN",
  },
  payload_too_large: {
    status: 413,
    code: Code.ResourceExhausted,
    message: "Payload Too Large",
    errorCode: "ERR_PAYLOAD_TOO_LARGE",
  },
  rate_limited: {
    status: 429,
    code: Code.ResourceExhausted,
    message: "Too Many Requests",
    errorCode: "ERR_TOO_MANY_REQUESTS",
  },
  unavailable: {
    status: 503,
    code: Code.Unavailable,
    message: "Service Unavailable",
    errorCode: "ERR_SERVICE_UNAVAILABLE",
  },
  internal: {
    status: 500,
    code: Code.Internal,
    message: "Internal Server Error",
    errorCode: "ERR_INTERNAL_SERVER",
  },
};

/**
 * Answers that are not refresh outcomes: routing, and a demo route's wrong media type. An RPC
 * path answers them as `unimplemented` (gRPC, Connect and gRPC-Web clients all know it as "no
 * such method"), a REST path with the flat pair.
 */
const ROUTING = {
  not_found: {
    status: 404,
    code: Code.Unimplemented,
    message: "Not Found",
    errorCode: "ERR_NOT_FOUND",
  },
  method_not_allowed: {
    status: 405,
    code: Code.Unimplemented,
    message: "Method Not Allowed",
    errorCode: "ERR_METHOD_NOT_ALLOWED",
  },
  unsupported_media_type: {
    status: 415,
    code: Code.InvalidArgument,
    message: "Unsupported Media Type",
    errorCode: "ERR_UNSUPPORTED_MEDIA_TYPE",
  },
} as const satisfies Record<string, Row>;

export type RoutingErrorKind = keyof typeof ROUTING;

/** An answer as the wire carries it; the HTTP layer writes it as is. */
export interface WireAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The RPC code's name, for an answer in an RPC protocol's shape. */
  rpcCode?: string;
}

/** The request an RPC-shaped answer is for: its protocol and its content type. */
export interface RpcRequestShape {
  protocol: RpcProtocol;
  contentType: string;
}

function retryAfter(error: RefreshError): Record<string, string> {
  return error.retryAfterSeconds === undefined
    ? {}
    : { "retry-after": String(Math.max(1, Math.ceil(error.retryAfterSeconds))) };
}

/** The documented REST body: 400s carry the sign-in envelope, the rest a flat pair. */
function restBody(row: Row, message: string): string {
  const body =
    row.status === 400
      ? {
          status: "fail",
          message,
          errorCode: row.errorCode,
          data: { errorName: "SignInApiError" },
        }
      : { message, errorCode: row.errorCode };
  return JSON.stringify(body);
}

// Each kind's body with its table message, written once: refusals come in floods (a bad
// token retried, a client over its limit) and each would otherwise serialize the same bytes.
const REST_BODIES = Object.fromEntries(
  Object.entries(TABLE).map(([kind, row]) => [kind, restBody(row, row.message)]),
) as Readonly<Record<RefreshErrorKind, string>>;

export function restError(error: RefreshError): WireAnswer {
  const row = TABLE[error.kind];
  const body =
    error.publicMessage === undefined
      ? REST_BODIES[error.kind]
      : restBody(row, error.publicMessage);
  return { status: row.status, headers: retryAfter(error), body };
}

const ROUTING_BODIES = Object.fromEntries(
  Object.entries(ROUTING).map(([kind, { message, errorCode }]) => [
    kind,
    JSON.stringify({ message, errorCode }),
  ]),
) as Readonly<Record<keyof typeof ROUTING, string>>;

export function restRoutingError(kind: RoutingErrorKind): WireAnswer {
  return { status: ROUTING[kind].status, headers: {}, body: ROUTING_BODIES[kind] };
}

/** A routing failure in the shape of the request's own protocol. */
export function routingError(kind: RoutingErrorKind, rpc: RpcRequestShape | undefined): WireAnswer {
  if (!rpc) return restRoutingError(kind);
  return rpcErrorAnswer(rpc, ROUTING[kind], {});
}

/** A refresh outcome answered before any RPC handler ran, in the request's protocol's shape. */
export function errorAnswer(error: RefreshError, rpc: RpcRequestShape | undefined): WireAnswer {
  if (!rpc) return restError(error);
  const row = TABLE[error.kind];
  const message = error.publicMessage ?? row.message;
  return rpcErrorAnswer(rpc, { ...row, message }, retryAfter(error));
}

/** The RPC face of the same table; the cause stays on the server. */
export function connectError(reason: unknown): ConnectError {
  const error = RefreshError.from(reason);
  const row = TABLE[error.kind];
  const metadata = new Headers(retryAfter(error));
  return new ConnectError(error.publicMessage ?? row.message, row.code, metadata);
}
