/**
 * Hostile input against /worth.auth.v1.AuthService/RefreshCustomerToken over HTTP/1.1
 * (node:http, keep-alive): Connect JSON and binary, gRPC-Web envelopes, garbage and missing
 * content types, protocol headers, compression, cookies. Every answer carries a client-fault
 * code in its own protocol (Connect: code and HTTP status per the Connect table; gRPC-Web:
 * grpc-status), the server stays up, memory stays bounded.
 * 3,600 generated cases (see harness.ts for the total); the astral-character probe is not counted.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenValue } from "./arbitraries.ts";
import { type Hostile, RPC_PATH, startHostile } from "./harness.ts";
import {
  CONNECT_HTTP_STATUS,
  corruptCompressed,
  envelope,
  expectNoServerFault,
  malformedProto,
  rpcCode,
  wellFormedProto,
} from "./protocols.ts";
import { rpcRequest, toWire } from "./rpc-requests.ts";
import { http1, keepAliveAgent, type Reply } from "./wire.ts";

let hostile: Hostile;
const agent = keepAliveAgent();

beforeAll(async () => {
  hostile = await startHostile();
});
afterAll(async () => {
  agent.destroy();
  await hostile?.close();
});

async function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Reply> {
  const reply = await http1(hostile.port, agent, { method, path, headers, body });
  if (reply.status === undefined)
    throw new Error(`connection closed without an answer (${reply.error})`);
  return reply;
}

describe("the Connect endpoint under hostile input", () => {
  it("answers every body, content type and protocol header with a client-fault code", async () => {
    await fc.assert(
      fc.asyncProperty(rpcRequest, async (req) => {
        const { headers, body, path, facts } = toWire(req);
        expectNoServerFault(await send(req.method, path, headers, body), facts);
      }),
      { numRuns: 2600 },
    );
    await hostile.expectAlive();
  });

  it("judges refreshToken of every type by the error table, with the Connect code and status", async () => {
    const calls = hostile.fake.calls();
    const others = fc.uniqueArray(
      fc.tuple(
        fc.oneof(
          fc.constantFrom("__proto__", "constructor", "prototype", "x"),
          fc.string({ maxLength: 8 }),
        ),
        fc.jsonValue({ maxDepth: 3 }),
      ),
      { maxLength: 4, selector: ([key]) => key },
    );
    const message = fc.tuple(fc.constantFrom("refreshToken", "refresh_token"), tokenValue, others);
    await fc.assert(
      fc.asyncProperty(message, async ([key, value, rest]) => {
        // Unknown fields are ignored, so other keys (even __proto__) must not change the answer;
        // protobuf JSON refuses a repeated key, so each appears once.
        const fields = rest
          .filter(([name]) => name !== "refreshToken" && name !== "refresh_token")
          .map(([name, v]) => `${JSON.stringify(name)}:${JSON.stringify(v)}`);
        const text = `{${[...fields, `${JSON.stringify(key)}:${JSON.stringify(value)}`].join(",")}}`;
        const reply = await send(
          "POST",
          RPC_PATH,
          { "content-type": "application/json" },
          Buffer.from(text),
        );
        const token = typeof value === "string" ? value.trim() : "";
        // Protobuf JSON refuses a string that is not well-formed UTF-16 (a lone surrogate).
        const wellFormed = typeof value !== "string" || value.isWellFormed();
        const expected =
          text.length > 65_536
            ? "resource_exhausted"
            : (value !== null && typeof value !== "string") ||
                !wellFormed ||
                token === "" ||
                token.length > 8192
              ? "invalid_argument"
              : "unauthenticated";
        const code = (JSON.parse(reply.body.toString("utf8")) as { code: string }).code;
        expect(code).toBe(expected);
        expect(reply.status).toBe(CONNECT_HTTP_STATUS[expected]);
      }),
      { numRuns: 700 },
    );
    expect(hostile.fake.calls(), "shaped tokens reached the provider").toBeGreaterThan(calls);
    await hostile.expectAlive();
  });

  // connect-es itself calls these `internal` (HTTP 500, grpc-status 13); fixed in 39b5a0c.
  // Minimal cases were: application/proto body 0xff; content-encoding gzip with the first
  // 10 bytes of gzip("x"); a gRPC-Web envelope flagged compressed without grpc-encoding.
  it("refuses a malformed binary message or corrupt compressed body as invalid_argument", async () => {
    const unreadable = fc.oneof(
      fc.tuple(malformedProto, fc.boolean()).map(([bytes, web]) => ({
        headers: { "content-type": web ? "application/grpc-web+proto" : "application/proto" },
        body: web ? envelope(bytes) : bytes,
      })),
      corruptCompressed.map(({ encoding, body }) => ({
        headers: { "content-type": "application/json", "content-encoding": encoding },
        body,
      })),
      wellFormedProto.map((message) => ({
        headers: { "content-type": "application/grpc-web+proto" },
        body: envelope(message, 0x01),
      })),
    );
    await fc.assert(
      fc.asyncProperty(unreadable, async ({ headers, body }) => {
        const reply = await send("POST", RPC_PATH, headers, body);
        const web = headers["content-type"].startsWith("application/grpc-web");
        expect(rpcCode(reply)).toBe(web ? "3" : "invalid_argument");
        expect(reply.status).toBe(web ? 200 : 400);
      }),
      { numRuns: 300 },
    );
    await hostile.expectAlive();
  });

  // connect-es encodes grpc-message with encodeURIComponent, which throws on a split surrogate pair.
  it("answers a gRPC-Web JSON message that fails to parse near an astral character", async () => {
    const astral = fc
      .tuple(fc.nat(12), fc.string({ unit: "grapheme", minLength: 30, maxLength: 60 }))
      .map(([n, tail]) => `{"a":${"\u{1F600}".repeat(n)}x${"\u{1F600}".repeat(30)}${tail}`);
    await fc.assert(
      fc.asyncProperty(astral, async (text) => {
        const headers = { "content-type": "application/grpc-web+json" };
        const body = envelope(Buffer.from(text));
        const reply = await http1(
          hostile.port,
          false,
          { method: "POST", path: RPC_PATH, headers, body },
          1000,
        );
        expect(reply.status, "no answer").toBe(200);
        if (reply.status !== undefined) expect(rpcCode(reply)).toBe("3");
      }),
      { numRuns: 30, endOnFailure: true },
    );
  });

  it("stays up with memory bounded and Object.prototype untouched after all cases", async () => {
    await hostile.expectAlive();
    await hostile.expectBounded();
  });
});
