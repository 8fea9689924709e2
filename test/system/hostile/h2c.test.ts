/**
 * Hostile input over cleartext HTTP/2 (prior knowledge, one node:http2 session, renewed when
 * the server ends it): random methods, headers, cookies and bodies for the REST route, and
 * Connect, gRPC and gRPC-Web requests for the RPC endpoint, and header blocks of every size.
 * No :status of 500 or more, no server-fault code in any RPC protocol, the server stays up.
 * 1,600 generated cases (see harness.ts for the total).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateRestResponse } from "../../support/openapi.ts";
import {
  anyBody,
  contentType,
  cookieHeader,
  headerValue,
  httpToken,
  tokenLike,
} from "./arbitraries.ts";
import { createH2Client, type H2Client } from "./h2-client.ts";
import { type Hostile, REST_PATH, RPC_PATH, startHostile } from "./harness.ts";
import {
  envelope,
  envelopedBody,
  expectNoServerFault,
  isOneEnvelope,
  malformedProto,
  wellFormedProto,
} from "./protocols.ts";

let hostile: Hostile;
let client: H2Client;

beforeAll(async () => {
  hostile = await startHostile();
  client = createH2Client(hostile.service.url);
});
afterAll(async () => {
  client?.close();
  await hostile?.close();
});

// Headers HTTP/2 forbids or node:http2 sets itself; pseudo-headers are never generated.
const FORBIDDEN = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "host",
  "http2-settings",
  "content-length",
];

const extraHeaders = fc
  .dictionary(httpToken(24), headerValue(60), { maxKeys: 5 })
  .map((headers) =>
    Object.fromEntries(Object.entries(headers).filter(([name]) => !FORBIDDEN.includes(name))),
  );

describe("HTTP/2 under hostile input", () => {
  it("answers any method, headers, cookies and body on the REST route below 500", async () => {
    const request = fc.record({
      method: fc.oneof(
        fc.constantFrom("POST", "POST", "GET", "HEAD", "PUT", "DELETE", "OPTIONS"),
        httpToken(8).map((m) => m.toUpperCase()),
      ),
      query: fc.option(headerValue(40).map(encodeURIComponent)),
      type: contentType,
      cookie: fc.oneof(
        cookieHeader(12_000),
        fc.array(
          tokenLike.map((t) => `refresh_token=${t}`),
          { maxLength: 3 },
        ),
      ),
      extra: extraHeaders,
      body: anyBody(30_000),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ method, query, type, cookie, extra, body }) => {
        const path = query === null ? REST_PATH : `${REST_PATH}?${query}`;
        const headers: Record<string, string | string[]> = {
          ...extra,
          ":method": method,
          ":path": path,
        };
        if (type !== undefined) headers["content-type"] = type;
        if (cookie !== undefined && cookie.length > 0) headers.cookie = cookie;
        const reply = await client.request(
          headers,
          method === "GET" || method === "HEAD" ? undefined : body,
        );
        expect(reply, "no response to a well-formed HTTP/2 request").toBeDefined();
        if (!reply) return;
        expect(reply.status).toBeLessThan(500);
        if (method === "POST") {
          validateRestResponse({
            method,
            path,
            status: reply.status,
            headers: reply.headers,
            body: reply.body.toString("utf8"),
          });
        } else {
          expect(reply.status).toBe(405);
        }
      }),
      { numRuns: 700 },
    );
    await hostile.expectAlive();
  });

  it("answers Connect, gRPC and gRPC-Web on the RPC path with a client-fault code", async () => {
    const grpc = fc.constantFrom(
      "application/grpc",
      "application/grpc+proto",
      "application/grpc-web+proto",
    );
    const message = fc.oneof(
      fc.record({
        type: fc.constantFrom("application/json", "application/connect+json"),
        body: anyBody(20_000),
      }),
      fc.record({ type: fc.constant("application/proto"), body: wellFormedProto }),
      fc.record({
        type: grpc,
        body: fc.oneof(
          envelopedBody,
          malformedProto.map((bytes) => envelope(bytes)),
        ),
      }),
      fc.record({
        type: fc.constant("application/grpc+json"),
        body: fc.json({ maxDepth: 2 }).map((t) => envelope(Buffer.from(t))),
      }),
      fc.record({ type: contentType, body: anyBody(2000) }),
    );
    const request = fc.record({
      method: fc.constantFrom("POST", "POST", "POST", "POST", "POST", "GET", "PUT"),
      message,
      timeout: fc.option(fc.oneof(headerValue(10), fc.constantFrom("1S", "5m", "100000000000n"))),
      encoding: fc.option(fc.constantFrom("gzip", "identity", "br", "snappy", "")),
      cookie: cookieHeader(12_000),
      extra: extraHeaders,
    });
    await fc.assert(
      fc.asyncProperty(
        request,
        async ({ method, message: { type, body }, timeout, encoding, cookie, extra }) => {
          const isGrpc = /^application\/grpc/i.test(type ?? "");
          const headers: Record<string, string> = {
            ...extra,
            ":method": method,
            ":path": RPC_PATH,
          };
          if (type !== undefined) headers["content-type"] = type;
          if (isGrpc) headers.te = "trailers";
          if (timeout !== null) headers[isGrpc ? "grpc-timeout" : "connect-timeout-ms"] = timeout;
          // Only on gRPC: a Connect content-encoding would make the body a corrupt one (probed
          // in connect-endpoint.test.ts).
          if (encoding !== null && isGrpc) headers["grpc-encoding"] = encoding;
          if (cookie !== undefined) headers.cookie = cookie;
          const reply = await client.request(headers, method === "GET" ? undefined : body);
          expect(reply, "no response to a well-formed HTTP/2 request").toBeDefined();
          if (!reply) return;
          const facts = {
            hasDeadline: timeout !== null,
            asksUnimplemented:
              (isGrpc && encoding !== null && !["gzip", "br", "identity"].includes(encoding)) ||
              (isGrpc && !isOneEnvelope(body)),
          };
          expectNoServerFault({ ...reply, trailers: reply.trailers ?? {} }, facts);
        },
      ),
      { numRuns: 700 },
    );
    await hostile.expectAlive();
  });

  it("answers header blocks of every size below 500, or refuses the stream, and stays up", async () => {
    const sized = fc.record({
      path: fc.constantFrom(REST_PATH, RPC_PATH),
      big: fc.nat(60_000),
      many: fc.nat(400),
    });
    await fc.assert(
      fc.asyncProperty(sized, async ({ path, big, many }) => {
        const headers: Record<string, string> = {
          ":method": "POST",
          ":path": path,
          "content-type": "application/json",
          "x-big": "a".repeat(big),
        };
        for (let i = 0; i < many; i++) headers[`x-h${i}`] = "v".repeat(40);
        const reply = await client.request(headers, Buffer.from('{"refresh_token":"abc"}'));
        // node:http2 refuses a stream of more than 128 header fields (maxHeaderListPairs) or
        // of a header list past 64 KB; below both, an answer is due.
        if (many < 100 && big + many * 50 < 60_000)
          expect(reply, "no response under the limits").toBeDefined();
        if (reply) expect(reply.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
    await hostile.expectAlive();
  });

  it("stays up with memory bounded and Object.prototype untouched after all cases", async () => {
    await hostile.expectAlive();
    await hostile.expectBounded();
  });
});
