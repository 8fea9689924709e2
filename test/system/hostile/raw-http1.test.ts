/**
 * Bytes no HTTP client would send, on bare sockets: malformed request lines and headers,
 * random methods and paths, headers up to and past Node's 16 KB limit (431 is fine), content
 * lengths shorter and longer than the body, slowloris-style partial headers and bodies.
 * Every status seen is below 500, every connection is answered or closed by the server within
 * its own timeouts (REQUEST_TIMEOUT_MS=1000 here), and the server stays up.
 * 1,828 generated cases (see harness.ts for the total).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anyBody } from "./arbitraries.ts";
import { type Hostile, REST_PATH, RPC_PATH, startHostile } from "./harness.ts";
import { malformedRequest, toBytes } from "./raw-requests.ts";
import { type RawResult, rawExchange } from "./wire.ts";

const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1000;
/** The server's timeouts plus Node's checking interval and scheduling slack. */
const CLOSED_WITHIN_MS = REQUEST_TIMEOUT_MS + 1500;

let hostile: Hostile;

beforeAll(async () => {
  hostile = await startHostile({
    HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    IDLE_TIMEOUT_MS: "1000",
  });
});
afterAll(async () => {
  await hostile?.close();
});

/** Below 500 throughout, and answered or closed: never left hanging. */
function expectHandled(result: RawResult): void {
  for (const status of result.statuses) expect(status).toBeLessThan(500);
  expect(result.statuses.length > 0 || result.closedByServer, "neither answered nor closed").toBe(
    true,
  );
}

describe("raw HTTP/1.1 under hostile input", () => {
  it("answers malformed request lines, headers, sizes and framing below 500, or closes", async () => {
    await fc.assert(
      fc.asyncProperty(malformedRequest, async (req) => {
        expectHandled(await rawExchange(hostile.port, [toBytes(req)]));
      }),
      { numRuns: 1400 },
    );
    await hostile.expectAlive();
  });

  it("treats bytes past a short Content-Length as the next request, and answers a good one", async () => {
    const short = fc.record({
      path: fc.constantFrom(REST_PATH, RPC_PATH),
      body: anyBody(2000).filter((b) => b.length > 1),
      cut: fc.nat(),
      next: fc.constantFrom("junk", "healthz"),
    });
    await fc.assert(
      fc.asyncProperty(short, async ({ path, body, cut, next }) => {
        const length = cut % body.length;
        const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
        // The leftover ends the header block, so the server need not wait for more.
        const tail =
          next === "healthz" ? "\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" : "\r\n\r\n";
        const bytes = Buffer.concat([Buffer.from(head), body, Buffer.from(tail)]);
        const result = await rawExchange(hostile.port, [bytes], { responses: 2 });
        expectHandled(result);
        expect(result.statuses.length + (result.closedByServer ? 1 : 0)).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 400 },
    );
    await hostile.expectAlive();
  });

  it("times out a body shorter than its Content-Length within REQUEST_TIMEOUT_MS", async () => {
    const longer = fc.record({
      path: fc.constantFrom(REST_PATH, RPC_PATH),
      body: anyBody(2000),
      missing: fc.integer({ min: 1, max: 60_000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(longer, { minLength: 6, maxLength: 6 }), async (cases) => {
        const results = await Promise.all(
          cases.map(({ path, body, missing }) => {
            const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + missing}\r\n\r\n`;
            return rawExchange(hostile.port, [Buffer.concat([Buffer.from(head), body])], {
              responses: 99,
            });
          }),
        );
        for (const result of results) {
          expectHandled(result);
          expect(result.closedByServer).toBe(true);
          expect(result.elapsedMs).toBeLessThan(CLOSED_WITHIN_MS);
        }
      }),
      { numRuns: 2 },
    );
  });

  it("closes slowloris connections within its timeouts while serving others", async () => {
    const trickle = (text: string) => [...text].map((c) => Buffer.from(c, "latin1"));
    const head = `POST ${REST_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`;
    const slow = fc.record({
      kind: fc.constantFrom("headers", "preface", "body", "silent"),
      gapMs: fc.integer({ min: 50, max: 150 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(slow, { minLength: 8, maxLength: 8 }), async (cases) => {
        const sends = cases.map(({ kind, gapMs }) => {
          const chunks =
            kind === "headers"
              ? trickle(`POST ${REST_PATH} HTTP/1.1\r\nHost: x\r\nX-Slow: ${"a".repeat(200)}`)
              : kind === "preface"
                ? trickle("PRI * HTTP/2.0\r\n\r\nSM\r\n")
                : kind === "body"
                  ? [Buffer.from(head), ...trickle("a".repeat(200))]
                  : [];
          return rawExchange(hostile.port, chunks, { responses: 99, gapMs, waitMs: 6000 });
        });
        // A good request is served while they trickle.
        await hostile.expectAlive();
        for (const result of await Promise.all(sends)) {
          expectHandled(result);
          expect(result.closedByServer).toBe(true);
          expect(result.elapsedMs).toBeLessThan(CLOSED_WITHIN_MS);
        }
      }),
      { numRuns: 2 },
    );
  });

  it("stays up with memory bounded and Object.prototype untouched after all cases", async () => {
    await hostile.expectAlive();
    await hostile.expectBounded();
  });
});
