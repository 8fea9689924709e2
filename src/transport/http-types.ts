import type { connectNodeAdapter } from "@connectrpc/connect-node";

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
