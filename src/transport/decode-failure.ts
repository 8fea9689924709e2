import type { UniversalServerResponse } from "@connectrpc/connect/protocol";

/**
 * What connect-es says, as `internal`, when it cannot read the request: the
 * message does not decode, the body does not decompress, the envelope is
 * bad. Our own handlers never raise these (they answer from the error table),
 * so for them `internal` is the client's fault: `invalid_argument`.
 */
const DECODE_FAILURE =
  /^(parse binary|decompression failed|invalid envelope|received compressed envelope)/;
export const UNREADABLE = "the request message could not be read";

async function collect(body: AsyncIterable<Uint8Array> | undefined): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body ?? []) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

function isDecodeFailure(status: string | null, message: string | null): boolean {
  return status === "13" && DECODE_FAILURE.test(decodeURIComponent(message ?? ""));
}

function fixGrpcHeaders(headers: Headers | undefined): boolean {
  if (!headers || !isDecodeFailure(headers.get("grpc-status"), headers.get("grpc-message"))) {
    return false;
  }
  headers.set("grpc-status", "3");
  headers.set("grpc-message", encodeURIComponent(UNREADABLE));
  return true;
}

/** gRPC-Web carries its trailers as the body's last frame (flag 0x80). */
function fixGrpcWebTrailer(body: Buffer): Buffer {
  let offset = 0;
  while (offset + 5 <= body.length) {
    const length = body.readUInt32BE(offset + 1);
    const end = offset + 5 + length;
    if (body[offset] === 0x80 && end === body.length) {
      const trailer = new Headers();
      for (const line of body
        .subarray(offset + 5, end)
        .toString("latin1")
        .split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) trailer.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      if (!fixGrpcHeaders(trailer)) return body;
      const text = [...trailer].map(([name, value]) => `${name}: ${value}\r\n`).join("");
      const frame = Buffer.alloc(5);
      frame[0] = 0x80;
      frame.writeUInt32BE(Buffer.byteLength(text), 1);
      return Buffer.concat([body.subarray(0, offset), frame, Buffer.from(text, "latin1")]);
    }
    offset = end;
  }
  return body;
}

/** Rewrites a unary answer that blames us for the client's unreadable request. */
export async function asClientFault(
  res: UniversalServerResponse,
): Promise<UniversalServerResponse> {
  const type = res.header?.get("content-type") ?? "";
  if (type.startsWith("application/grpc-web")) {
    const body = Buffer.from(await collect(res.body));
    fixGrpcHeaders(res.header);
    return { ...res, body: once(fixGrpcWebTrailer(body)) };
  }
  if (type.startsWith("application/grpc")) {
    fixGrpcHeaders(res.header);
    fixGrpcHeaders(res.trailer);
    return res;
  }
  if (res.status !== 500 || !type.startsWith("application/json")) {
    return res;
  }
  const body = await collect(res.body);
  let error: { code?: unknown; message?: unknown } = {};
  try {
    error = JSON.parse(Buffer.from(body).toString("utf8")) as typeof error;
  } catch {
    // Not a Connect error body: leave it.
  }
  if (error.code !== "internal" || !DECODE_FAILURE.test(String(error.message ?? ""))) {
    return { ...res, body: once(body) };
  }
  const fixed = Buffer.from(JSON.stringify({ code: "invalid_argument", message: UNREADABLE }));
  res.header?.set("content-length", String(fixed.length));
  return { ...res, status: 400, body: once(fixed) };
}
