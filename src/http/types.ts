import type { connectNodeAdapter } from "@connectrpc/connect-node";
import type { RpcRequestShape, WireAnswer } from "../wire/error-table.ts";
import { rpcProtocolOf } from "../wire/protocol.ts";

/**
 * Node's HTTP/1 and HTTP/2 compatibility APIs, which every route handles
 * alike; the same shapes the Connect adapter takes (it does not export them).
 */
export type Handler = ReturnType<typeof connectNodeAdapter>;
export type Request = Parameters<Handler>[0];
export type Response = Parameters<Handler>[1];

/** The host a request was sent to: HTTP/2's :authority, else HTTP/1.1's Host. */
export function authorityOf(req: Request): string | undefined {
  return "authority" in req ? req.authority : req.headers.host;
}

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

export function sendJson(
  res: Response,
  status: number,
  body: string,
  headers: Readonly<Record<string, string | readonly string[]>> = {},
): void {
  sendAnswer(res, { status, headers: { "content-type": JSON_CONTENT_TYPE }, body }, headers);
}

/** Writes an answer from the wire table, with any headers the route adds. */
export function sendAnswer(
  res: Response,
  answer: WireAnswer,
  headers: Readonly<Record<string, string | readonly string[]>> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries({ ...answer.headers, ...headers })) {
    res.setHeader(name, value);
  }
  if (!res.hasHeader("content-type")) res.setHeader("content-type", JSON_CONTENT_TYPE);
  if (answer.body === "") {
    // A gRPC trailers-only answer: HTTP/2 must end the stream with these headers (END_STREAM
    // on HEADERS), which Node does only for an end() that writes nothing.
    res.end();
    return;
  }
  res.setHeader("content-length", Buffer.byteLength(answer.body));
  res.end(answer.body);
}

/** The path of a request, without its query. */
export function pathOf(req: Request): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}

/** The RPC protocol and content type of a request, if it speaks one. */
export function rpcShapeOf(req: Request): RpcRequestShape | undefined {
  const contentType = String(req.headers["content-type"] ?? "");
  const protocol = rpcProtocolOf(contentType, pathOf(req));
  return protocol && { protocol, contentType };
}
