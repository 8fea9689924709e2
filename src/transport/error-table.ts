import { Code, ConnectError } from "@connectrpc/connect";
import { RefreshError, type RefreshErrorKind } from "../refresh/refresh-error.ts";

/**
 * The one error table (README, Errors). Nothing else in the code picks a status,
 * a Connect code or an error body.
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

/** Routing failures of the REST surface; not refresh outcomes, so not kinds. */
const ROUTING = {
  not_found: { status: 404, message: "Not Found", errorCode: "ERR_NOT_FOUND" },
  method_not_allowed: {
    status: 405,
    message: "Method Not Allowed",
    errorCode: "ERR_METHOD_NOT_ALLOWED",
  },
} as const;

export interface RestErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
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

export function restError(error: RefreshError): RestErrorResponse {
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

export function restRoutingError(kind: keyof typeof ROUTING): RestErrorResponse {
  return { status: ROUTING[kind].status, headers: {}, body: ROUTING_BODIES[kind] };
}

/** The RPC face of the same table; the cause stays on the server. */
export function connectError(reason: unknown): ConnectError {
  const error = RefreshError.from(reason);
  const row = TABLE[error.kind];
  const metadata = new Headers(retryAfter(error));
  return new ConnectError(error.publicMessage ?? row.message, row.code, metadata);
}
