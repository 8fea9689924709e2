import type { Request } from "../http/types.ts";

/**
 * Longer than anything a request can take here (its own timeouts end it far sooner), and far
 * below the 24.8 days a Node timer can count: a deadline beyond it would overflow the timer,
 * which then fires at once, so it is served as this one instead.
 */
export const MAX_DEADLINE_MS = 3_600_000;

const GRPC_UNITS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/**
 * Rewrites a caller's deadline header (gRPC's `grpc-timeout`, Connect's `connect-timeout-ms`)
 * that asks for more than MAX_DEADLINE_MS down to that. Malformed values are left for
 * connect-es to refuse.
 */
export function clampDeadline(req: Request): void {
  const grpc = req.headers["grpc-timeout"];
  if (typeof grpc === "string") {
    const match = /^(\d{1,8})([HMSmun])$/.exec(grpc);
    const ms = match ? Number(match[1]) * (GRPC_UNITS[match[2] ?? ""] ?? 0) : 0;
    if (ms > MAX_DEADLINE_MS) req.headers["grpc-timeout"] = `${MAX_DEADLINE_MS}m`;
  }
  const connect = req.headers["connect-timeout-ms"];
  if (typeof connect === "string" && /^\d{1,10}$/.test(connect)) {
    if (Number(connect) > MAX_DEADLINE_MS) req.headers["connect-timeout-ms"] = `${MAX_DEADLINE_MS}`;
  }
}
