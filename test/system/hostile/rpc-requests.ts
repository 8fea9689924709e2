/**
 * Requests to the RPC endpoint for connect-endpoint.test.ts: Connect JSON and binary,
 * gRPC-Web envelopes, any bytes under other types, and the protocol headers around them.
 * gRPC JSON types carry ASCII only here: astral characters have a test of their own
 * in connect-endpoint.test.ts.
 */
import fc from "fast-check";
import {
  anyBody,
  contentType,
  cookieHeader,
  headerValue,
  httpToken,
  objectText,
} from "./arbitraries.ts";
import { RPC_PATH, type RpcRequestFacts } from "./harness.ts";
import {
  compressed,
  envelope,
  envelopedBody,
  isOneEnvelope,
  malformedProto,
  wellFormedProto,
} from "./protocols.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is the range 0-127.
const isAscii = (text: string) => /^[\x00-\x7f]*$/.test(text);
const SUPPORTED_ENCODINGS = ["gzip", "br", "identity"];
const RESERVED = ["content-length", "transfer-encoding", "host", "connection", "expect", "upgrade"];

const family = fc.oneof(
  fc.record({
    type: fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "application/connect+json",
    ),
    body: fc.oneof(
      anyBody(30_000),
      objectText.map((t) => Buffer.from(t)),
    ),
    grpc: fc.constant(false),
  }),
  fc.record({
    type: fc.constantFrom("application/proto"),
    body: fc.oneof(wellFormedProto, malformedProto),
    grpc: fc.constant(false),
  }),
  fc.record({
    type: fc.constantFrom("application/grpc-web", "application/grpc-web+proto"),
    body: fc.oneof(
      envelopedBody,
      malformedProto.map((bytes) => envelope(bytes)),
    ),
    grpc: fc.constant(true),
  }),
  // JSON messages in envelopes, ASCII only: astral characters have a test of their own.
  fc.record({
    type: fc.constantFrom("application/grpc-web+json", "application/grpc-web+json; charset=utf-8"),
    body: fc
      .oneof(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 80 }), objectText.filter(isAscii))
      .map((text) => envelope(Buffer.from(text))),
    grpc: fc.constant(true),
  }),
  // Any bytes under any other type (gRPC JSON types only above, in ASCII).
  fc.record({
    type: fc
      .oneof(contentType, fc.constantFrom("application/grpc-web-text", "application/grpc"))
      .filter((type) => type === undefined || !/^application\/grpc(-web)?\+json/i.test(type)),
    body: anyBody(1000),
    grpc: fc.boolean(),
  }),
);

/** A request to the RPC endpoint over HTTP/1.1: method, body family, protocol headers. */
export const rpcRequest = fc.record({
  method: fc.constantFrom("POST", "POST", "POST", "GET", "PUT"),
  family,
  version: fc.option(fc.oneof(fc.constant("1"), headerValue(4))),
  timeout: fc.option(fc.oneof(headerValue(12), fc.nat(100_000).map(String))),
  encoding: fc.option(fc.constantFrom("gzip", "identity", "br", "deflate", "x-junk", "GZIP", "")),
  // How a named compression is honoured: mostly done right, else not at all or cut short.
  compression: fc.constantFrom("valid", "valid", "valid", "none", "cut"),
  cookie: cookieHeader(12_000),
  extra: fc.dictionary(httpToken(20), headerValue(40), { maxKeys: 4 }),
});

export type RpcRequest = typeof rpcRequest extends fc.Arbitrary<infer T> ? T : never;

/** Headers, body and path on the wire, and what the request asked of the protocol. */
export function toWire(req: RpcRequest): {
  headers: Record<string, string>;
  body: Buffer | undefined;
  path: string;
  facts: RpcRequestFacts;
} {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.extra)) {
    if (!RESERVED.includes(name)) headers[name] = value;
  }
  const { type, grpc } = req.family;
  if (type !== undefined) headers["content-type"] = type;
  if (req.version !== null) headers["connect-protocol-version"] = req.version;
  if (req.timeout !== null) headers[grpc ? "grpc-timeout" : "connect-timeout-ms"] = req.timeout;
  if (req.encoding !== null) headers[grpc ? "grpc-encoding" : "content-encoding"] = req.encoding;
  if (req.cookie !== undefined) headers.cookie = req.cookie;
  let body: Buffer | undefined = req.family.body;
  // Connect unary compresses the whole body; gRPC-Web would flag each envelope (left out).
  if (!grpc && req.compression !== "none") body = compressed(body, req.encoding);
  if (!grpc && req.compression === "cut") body = body.subarray(0, Math.floor(body.length / 2));
  let path = RPC_PATH;
  if (req.method === "GET") {
    path += `?connect=v1&encoding=json&message=${encodeURIComponent(body.toString("latin1"))}`;
    body = undefined;
  }
  const grpcFamily = /^application\/grpc/i.test(type ?? "");
  const facts = {
    hasDeadline: req.timeout !== null,
    asksUnimplemented:
      (req.encoding !== null && !SUPPORTED_ENCODINGS.includes(req.encoding)) ||
      (grpcFamily && !isOneEnvelope(req.family.body)),
  };
  return { headers, body, path, facts };
}
