import type { Request } from "../transport/http-types.ts";
import type { Protocol } from "./request-context.ts";

/** Which of the port's surfaces a path belongs to; `route` is a bounded metric label. */
export interface RouteLabel {
  /** The exact path of a known route or RPC procedure, else "unmatched". */
  route: string;
  kind: "rest" | "rpc" | "http";
}

/** The protocol a request speaks, from its route and content type. */
export function protocolOf(req: Request, label: RouteLabel): Protocol {
  if (label.kind === "rest") return "rest";
  if (req.method === "OPTIONS") return "http"; // a CORS preflight, whatever the path
  const type = String(req.headers["content-type"] ?? "").toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return label.kind === "rpc" ? "connect" : "http";
}
