import { RefreshError } from "../refresh/refresh-error.ts";
import type { Request } from "./types.ts";

class PrematureClose extends Error {
  override readonly name = "PrematureClose";
  readonly code = "ERR_STREAM_PREMATURE_CLOSE";
}

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops reading, destroys the
 * request and throws payload_too_large, so a huge body costs us at most `limit` bytes.
 * Listeners rather than `for await`: the async iterator costs several microseconds and
 * promises per request, and this is on every REST refresh.
 */
export function readBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new RefreshError("payload_too_large"));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        // What leaving a `for await` early does: the rest is never read.
        req.destroy();
        reject(new RefreshError("payload_too_large"));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => {
      stop();
      reject(new PrematureClose("the request closed before its body ended"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}
