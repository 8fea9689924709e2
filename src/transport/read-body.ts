import { RefreshError } from "../refresh/refresh-error.ts";
import type { Request } from "./http-types.ts";

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops reading
 * and throws payload_too_large, so a huge body costs us at most `limit` bytes.
 */
export async function readBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    throw new RefreshError("payload_too_large");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new RefreshError("payload_too_large");
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
