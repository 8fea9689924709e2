/**
 * RPC wire formats for the hostile-input tests: protobuf and envelope encoders, generators of
 * well-formed and malformed messages, and one judge for a Connect, gRPC or gRPC-Web answer.
 */
import { brotliCompressSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { expect } from "vitest";
import { tokenLike } from "./arbitraries.ts";
import { type RpcRequestFacts, serverFault } from "./harness.ts";

/** The Connect protocol's code -> HTTP status table (connectrpc.com/docs/protocol). */
export const CONNECT_HTTP_STATUS: Readonly<Record<string, number>> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
};

export function varint(value: bigint | number): number[] {
  let n = BigInt(value);
  const out: number[] = [];
  do {
    const low = Number(n & 0x7fn);
    n >>= 7n;
    out.push(n > 0n ? low | 0x80 : low);
  } while (n > 0n);
  return out;
}

const tag = (field: number, wireType: number) => varint((BigInt(field) << 3n) | BigInt(wireType));

const fixed = (bytes: Uint8Array, n: number) => Array.from({ length: n }, (_, i) => bytes[i] ?? 0);

const field1 = fc
  .oneof(
    tokenLike,
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.constantFrom("", " ", "a".repeat(9000)),
  )
  .map((text) => {
    const bytes = [...Buffer.from(text)];
    return [...tag(1, 2), ...varint(bytes.length), ...bytes];
  });

const unknownField = fc
  .tuple(
    fc.integer({ min: 2, max: 2 ** 29 - 1 }),
    fc.constantFrom(0, 1, 2, 5),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc.uint8Array({ maxLength: 24 }),
  )
  .map(([field, wireType, number, bytes]) => {
    if (wireType === 0) return [...tag(field, 0), ...varint(number)];
    if (wireType === 1) return [...tag(field, 1), ...fixed(bytes, 8)];
    if (wireType === 5) return [...tag(field, 5), ...fixed(bytes, 4)];
    return [...tag(field, 2), ...varint(bytes.length), ...bytes];
  });

/** A valid RefreshCustomerTokenRequest in binary: field 1 as UTF-8, unknown fields of every wire type. */
export const wellFormedProto = fc
  .array(fc.oneof(field1, unknownField), { maxLength: 6 })
  .map((fields) => Buffer.from(fields.flat()));

/** Any bytes at all, and the shapes protobuf readers trip over. */
export const malformedProto = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(
    Buffer.from([0xff]),
    Buffer.from([0x0a, 0x02, 0xff, 0xfe]),
    Buffer.from([0x0a, 0x05, 0x61]),
    Buffer.alloc(20_000, 0x13),
  ),
);

/** A gRPC / gRPC-Web length-prefixed envelope; `declared` may lie about the length. */
export function envelope(payload: Buffer, flags = 0, declared = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(declared >>> 0, 1);
  return Buffer.concat([head, payload]);
}

/**
 * Envelopes around well-formed messages: honest, promising more or less than they carry,
 * followed by junk, doubled, cut inside the prefix, flagged as the end of stream.
 */
export const envelopedBody = fc
  .tuple(
    wellFormedProto,
    fc.constantFrom("honest", "longer", "shorter", "junk", "two", "header-only", "trailer-flag"),
    fc.nat(100),
  )
  .map(([message, how, by]) => {
    switch (how) {
      case "longer":
        return envelope(message, 0, message.length + 1 + by);
      case "shorter":
        return envelope(message, 0, Math.max(0, message.length - 1 - by));
      case "junk":
        return Buffer.concat([envelope(message), Buffer.alloc(1 + (by % 4), by)]);
      case "two":
        return Buffer.concat([envelope(message), envelope(message)]);
      case "header-only":
        return envelope(message).subarray(0, by % 5);
      case "trailer-flag":
        return envelope(message, 0x80);
      default:
        return envelope(message);
    }
  });

/** A body compressed as `encoding` says, when it names a compression the server offers. */
export function compressed(body: Buffer, encoding: string | null): Buffer {
  if (encoding === "gzip") return gzipSync(body);
  if (encoding === "br") return brotliCompressSync(body);
  return body;
}

/** Compressed bodies that do not decompress: cut short, or not compressed at all. */
export const corruptCompressed = fc.oneof(
  fc
    .tuple(fc.constantFrom("gzip", "br"), fc.uint8Array({ maxLength: 64 }), fc.nat(30))
    .map(([encoding, bytes, keep]) => {
      const whole = compressed(Buffer.from(bytes), encoding);
      return { encoding, body: whole.subarray(0, Math.min(keep, whole.length - 1)) };
    }),
  fc
    .tuple(fc.constantFrom("gzip", "br"), fc.uint8Array({ minLength: 1, maxLength: 64 }))
    .map(([encoding, bytes]) => ({ encoding, body: Buffer.from(bytes) })),
);

/** True when a gRPC body is exactly one complete message envelope, nothing before or after. */
export function isOneEnvelope(body: Buffer): boolean {
  return body.length >= 5 && body.readUInt8(0) === 0 && body.readUInt32BE(1) === body.length - 5;
}

export function grpcStatusIn(headers: Record<string, unknown>, body: Buffer): string | undefined {
  const inHeaders = headers["grpc-status"];
  if (inHeaders !== undefined) return String(inHeaders);
  let at = 0;
  while (at + 5 <= body.length) {
    const flags = body.readUInt8(at);
    const length = body.readUInt32BE(at + 1);
    const frame = body.subarray(at + 5, at + 5 + length).toString("latin1");
    if (flags & 0x80) return /grpc-status:\s*(\d+)/i.exec(frame)?.[1];
    at += 5 + length;
  }
  return undefined;
}

/** The reply's error code as Connect names it (gRPC statuses by number), or undefined. */
export function rpcCode(reply: RpcReply): string | undefined {
  const type = String(reply.headers["content-type"] ?? "");
  if (type.startsWith("application/grpc")) {
    return grpcStatusIn({ ...reply.headers, ...reply.trailers }, reply.body);
  }
  try {
    return String((JSON.parse(reply.body.toString("utf8")) as { code?: unknown }).code);
  } catch {
    return undefined;
  }
}

export interface RpcReply {
  status: number;
  headers: Record<string, unknown>;
  trailers?: Record<string, unknown> | undefined;
  body: Buffer;
}

/**
 * No server fault, in whichever protocol answered: a Connect error's code matches its HTTP
 * status and is a client fault; a gRPC or gRPC-Web answer carries a client-fault grpc-status.
 */
export function expectNoServerFault(reply: RpcReply, facts: RpcRequestFacts): void {
  const type = String(reply.headers["content-type"] ?? "");
  if (type.startsWith("application/grpc")) {
    const code = grpcStatusIn({ ...reply.headers, ...reply.trailers }, reply.body);
    if (code !== undefined) {
      expect(serverFault(Number(code), facts), `grpc-status ${code}`).toBeUndefined();
    }
    expect(reply.status).toBeLessThan(500);
    return;
  }
  if (reply.status < 500) return;
  let code = "";
  try {
    code = String((JSON.parse(reply.body.toString("utf8")) as { code?: unknown }).code);
  } catch {
    // Not a Connect error body: a bare 5xx.
  }
  expect(CONNECT_HTTP_STATUS[code], `HTTP ${reply.status} carries no Connect error`).toBe(
    reply.status,
  );
  expect(
    serverFault(code, facts),
    `HTTP ${reply.status}: ${reply.body.toString("utf8").slice(0, 120)}`,
  ).toBeUndefined();
}
