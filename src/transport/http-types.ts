import type { connectNodeAdapter } from "@connectrpc/connect-node";

/**
 * Node's HTTP/1 and HTTP/2 compatibility APIs, which every route handles
 * alike; the same shapes the Connect adapter takes (it does not export them).
 */
export type Handler = ReturnType<typeof connectNodeAdapter>;
export type Request = Parameters<Handler>[0];
export type Response = Parameters<Handler>[1];

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

export function sendJson(
  res: Response,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) {
    res.setHeader(name, value);
  }
  res.setHeader("content-type", JSON_CONTENT_TYPE);
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}
