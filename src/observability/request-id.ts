import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const REQUEST_ID_HEADER = "x-request-id";

// Printable ASCII without spaces, bounded: a caller's id goes into every log
// line, so it must not be able to forge lines, carry control bytes or hide a
// whole token. UUIDs, W3C trace ids and AWS trace headers all fit.
const ACCEPTED = /^[\x21-\x7e]{1,128}$/;

/** The caller's X-Request-Id when it is acceptable, else a fresh UUID. */
export function requestIdOf(req: { headers: IncomingHttpHeaders }): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === "string" && ACCEPTED.test(given) ? given : randomUUID();
}
