import type { Outcome } from "./request-context.ts";

/**
 * The outcome of a request no handler of ours answered (the Connect adapter's
 * own errors, health and reflection, routing, CORS preflights), read from its
 * RPC code. Below our handler a resource_exhausted can only be a message over
 * the size limit: our own rate limits always answer through our handler.
 */
const BY_CODE: Readonly<Record<string, Outcome>> = {
  ok: "success",
  invalid_argument: "bad_request",
  failed_precondition: "bad_request",
  out_of_range: "bad_request",
  unauthenticated: "unauthorized",
  permission_denied: "forbidden",
  resource_exhausted: "payload_too_large",
  unavailable: "unavailable",
  deadline_exceeded: "deadline_exceeded",
  canceled: "cancelled",
  not_found: "not_found",
  unimplemented: "not_found",
};

const BY_STATUS: Readonly<Record<number, Outcome>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  429: "rate_limited",
  499: "cancelled",
  503: "unavailable",
  504: "deadline_exceeded",
};

export function outcomeOfCode(code: string): Outcome {
  return BY_CODE[code] ?? "internal";
}

export function outcomeOfStatus(status: number): Outcome {
  if (status < 400) return "success";
  return BY_STATUS[status] ?? (status < 500 ? "bad_request" : "internal");
}
