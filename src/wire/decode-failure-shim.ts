import { Code } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { readTrailer, writeTrailer } from "./grpc-web-trailer.ts";

/**
 * A shim over connect-es 2.3.0, which answers a request message it cannot read as `internal`
 * (HTTP 500): the message does not decode, the body does not decompress, the envelope is bad.
 * The client sent it, so this service answers `invalid_argument` instead. Our own handlers
 * never raise these messages (they answer from the error table), so matching connect-es's
 * words is safe; its tests pin the version whose words these are. Remove the shim when
 * connect-es reports such requests as the client's.
 */
export const CONNECT_ES_VERSION = "2.3.0";
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
  return status === String(Code.Internal) && DECODE_FAILURE.test(decodeURIComponent(message ?? ""));
}

function fixGrpcHeaders(headers: Headers | undefined): boolean {
  if (!headers || !isDecodeFailure(headers.get("grpc-status"), headers.get("grpc-message"))) {
    return false;
  }
  headers.set("grpc-status", String(Code.InvalidArgument));
  headers.set("grpc-message", encodeURIComponent(UNREADABLE));
  return true;
}

function fixGrpcWebTrailer(body: Buffer): Buffer {
  const found = readTrailer(body);
  if (!found || !fixGrpcHeaders(found.trailer)) return body;
  return Buffer.concat([body.subarray(0, found.offset), writeTrailer(found.trailer)]);
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
