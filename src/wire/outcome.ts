import { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { RefreshErrorKind } from "../refresh/refresh-error.ts";

/** How a request ended: success, a kind of the closed set, or what routing and the client did. */
export type Outcome =
  | "success"
  | RefreshErrorKind
  | "not_found"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "deadline_exceeded"
  | "cancelled";

/**
 * The outcome of an RPC answer that connect-es gave rather than our handlers (a message it
 * could not read or that is too long, health, reflection), from its code. Below our handlers a
 * resource_exhausted can only be a message over the size limit: our own rate limits answer
 * through our handlers.
 */
const BY_CODE: Readonly<Partial<Record<Code, Outcome>>> = {
  [Code.InvalidArgument]: "bad_request",
  [Code.FailedPrecondition]: "bad_request",
  [Code.OutOfRange]: "bad_request",
  [Code.Unauthenticated]: "unauthorized",
  [Code.PermissionDenied]: "forbidden",
  [Code.ResourceExhausted]: "payload_too_large",
  [Code.Unavailable]: "unavailable",
  [Code.DeadlineExceeded]: "deadline_exceeded",
  [Code.Canceled]: "cancelled",
  [Code.NotFound]: "not_found",
  [Code.Unimplemented]: "not_found",
};

/** An RPC code (0 for ok) as the outcome and code name a request's log line records. */
export function outcomeOfCode(code: number): { outcome: Outcome; rpcCode: string } {
  if (code === 0) return { outcome: "success", rpcCode: "ok" };
  const known = code in Code;
  return {
    outcome: (known && BY_CODE[code as Code]) || "internal",
    rpcCode: known ? codeToString(code as Code) : "unknown",
  };
}
