import type { IncomingHttpHeaders } from "node:http";
import { type Protocol, rpcProtocolOf } from "../wire/protocol.ts";

/** Which of the port's surfaces a path belongs to; `route` is a bounded metric label. */
export interface RouteLabel {
  /** The exact path of a known route or RPC procedure, else "unmatched". */
  route: string;
  kind: "rest" | "rpc" | "http";
}

/** The protocol a request speaks, from its route and content type. */
export function protocolOf(
  req: { method?: string | undefined; headers: IncomingHttpHeaders },
  path: string,
  label: RouteLabel,
): Protocol {
  if (label.kind === "rest") return "rest";
  if (req.method === "OPTIONS") return "http"; // a CORS preflight, whatever the path
  const rpc = rpcProtocolOf(String(req.headers["content-type"] ?? ""), path);
  return rpc ?? (label.kind === "rpc" ? "connect" : "http");
}
