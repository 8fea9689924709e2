/**
 * Hostile input against POST /auth/api/v1/refresh-token/customer over HTTP/1.1 (node:http,
 * keep-alive): any body under any content type and cookie, refresh_token of every type,
 * prototype keys, duplicate fields, deep nesting, invalid UTF-8, NUL bytes, a 100 KB token,
 * every method and path. Every answer is below 500 and matches the OpenAPI document.
 * 4,300 generated cases (see harness.ts for the total).
 */
import { METHODS } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateRestResponse } from "../../support/openapi.ts";
import {
  anyBody,
  contentType,
  cookieHeader,
  deepJson,
  HUGE_TOKEN,
  httpToken,
  invalidUtf8Body,
  nulBody,
  objectText,
} from "./arbitraries.ts";
import { type Hostile, REST_PATH, RPC_PATH, startHostile } from "./harness.ts";
import { http1, keepAliveAgent, type Reply } from "./wire.ts";

// Room for the 100 KB token and 60,000 levels of nesting, so they reach the parser.
const BODY_LIMIT = 200_000;
const MAX_TOKEN_LENGTH = 8192;

let hostile: Hostile;
const agent = keepAliveAgent();

beforeAll(async () => {
  hostile = await startHostile({ BODY_LIMIT_BYTES: String(BODY_LIMIT) });
});
afterAll(async () => {
  agent.destroy();
  await hostile?.close();
});

async function post(body: Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  const reply = await http1(hostile.port, agent, {
    method: "POST",
    path: REST_PATH,
    headers,
    body,
  });
  if (reply.status === undefined) {
    throw new Error(`connection closed without an answer (${reply.error})`);
  }
  return reply;
}

/** Below 500 and exactly as the OpenAPI document describes the route's answers. */
function expectDocumented(method: string, path: string, reply: Reply): void {
  expect(reply.status).toBeLessThan(500);
  validateRestResponse({
    method,
    path,
    status: reply.status,
    headers: reply.headers,
    body: reply.body.toString("utf8"),
  });
}

/** The error table read as an oracle for a JSON body with no cookie: 400, 401 or 413. */
function expectedStatus(raw: Buffer): number {
  if (raw.length > BODY_LIMIT) return 413;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    return 400;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 400;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return 400;
  const field = (name: string): string | undefined | "wrong type" => {
    const value = Object.hasOwn(body, name) ? (body as Record<string, unknown>)[name] : undefined;
    if (value === null || value === undefined) return undefined;
    return typeof value === "string" ? value : "wrong type";
  };
  const snake = field("refresh_token");
  const camel = field("refreshToken");
  if (snake === "wrong type" || camel === "wrong type") return 400;
  const token = (snake?.trim() ? snake : camel)?.trim() ?? "";
  if (token === "" || token.length > MAX_TOKEN_LENGTH) return 400;
  // Of the token's shape or not, a token the fake never issued is unauthorized.
  return 401;
}

describe("the REST route under hostile input", () => {
  it("answers any body, content type and cookie with a documented status below 500", async () => {
    const request = fc.record({
      body: anyBody(60_000),
      type: contentType,
      cookie: cookieHeader(12_000),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ body, type, cookie }) => {
        const headers: Record<string, string> = {};
        if (type !== undefined) headers["content-type"] = type;
        if (cookie !== undefined) headers.cookie = cookie;
        expectDocumented("POST", REST_PATH, await post(body, headers));
      }),
      { numRuns: 2500 },
    );
    await hostile.expectAlive();
  });

  it("judges refresh_token of every type, prototype keys and duplicate fields by the error table", async () => {
    const duplicated = fc
      .tuple(fc.constantFrom("refresh_token", "refreshToken"), fc.jsonValue(), fc.jsonValue())
      .map(([key, a, b]) => `{"${key}":${JSON.stringify(a)},"${key}":${JSON.stringify(b)}}`);
    const calls = hostile.fake.calls();
    await fc.assert(
      fc.asyncProperty(fc.oneof(objectText, duplicated), async (text) => {
        const body = Buffer.from(text);
        const reply = await post(body, { "content-type": "application/json" });
        expectDocumented("POST", REST_PATH, reply);
        expect(reply.status).toBe(expectedStatus(body));
      }),
      { numRuns: 1000 },
    );
    expect(hostile.fake.calls(), "shaped tokens reached the provider").toBeGreaterThan(calls);
    await hostile.expectAlive();
  });

  it("refuses deep nesting, invalid UTF-8, NUL bytes and a 100 KB token without a 5xx", async () => {
    const huge = fc.constantFrom(
      `{"refresh_token":"${HUGE_TOKEN}"}`,
      `{"refreshToken":"${HUGE_TOKEN}"}`,
      `{"refresh_token":"","refreshToken":" ${HUGE_TOKEN} "}`,
    );
    const classic = fc.oneof(
      deepJson(60_000),
      invalidUtf8Body,
      nulBody,
      huge.map((t) => Buffer.from(t)),
    );
    await fc.assert(
      fc.asyncProperty(classic, async (body) => {
        const reply = await post(body, { "content-type": "application/json" });
        expectDocumented("POST", REST_PATH, reply);
        expect(reply.status).toBe(expectedStatus(body));
      }),
      { numRuns: 300 },
    );
    await hostile.expectAlive();
  });

  it("answers every method and path with a status below 500, and 405 for non-POST on the route", async () => {
    const method = fc.oneof(
      fc.constantFrom(
        "GET",
        "PUT",
        "DELETE",
        "PATCH",
        "OPTIONS",
        "HEAD",
        "POST",
        "TRACE",
        "PROPFIND",
      ),
      httpToken(10).map((m) => m.toUpperCase()),
    );
    const segment = fc.string({ maxLength: 12 }).map(encodeURIComponent);
    const path = fc.oneof(
      fc.constantFrom(
        REST_PATH,
        `${REST_PATH}/`,
        "/auth/api/v1/refresh-token%2Fcustomer",
        RPC_PATH,
      ),
      fc.constantFrom("/healthz", "/readyz", "/auth/api/v1/openapi.json", "/", "//", "/%00"),
      fc
        .tuple(fc.constantFrom(REST_PATH, RPC_PATH), fc.string({ maxLength: 40 }))
        .map(([p, q]) => `${p}?${encodeURIComponent(q)}&refresh_token=${encodeURIComponent(q)}`),
      fc.array(segment, { maxLength: 5 }).map((parts) => `/${parts.join("/")}`),
    );
    await fc.assert(
      fc.asyncProperty(method, path, anyBody(2000), async (m, p, body) => {
        const known = METHODS.includes(m);
        // llhttp refuses a method it does not know with 400 and closes at once, so the
        // answer may be lost to the reset; those go on a connection of their own.
        const reply = await http1(hostile.port, known ? agent : false, {
          method: m,
          path: p,
          headers: { "content-type": "application/json" },
          body: m === "GET" || m === "HEAD" ? undefined : body,
        });
        if (reply.status === undefined) {
          expect(known, `no answer to ${m} ${p}: ${"error" in reply ? reply.error : ""}`).toBe(
            false,
          );
          return;
        }
        expect(reply.status).toBeLessThan(500);
        const onRoute = p.split("?")[0] === REST_PATH;
        if (!known) {
          expect(reply.status).toBe(400);
        } else if (onRoute && m !== "POST") {
          expect(reply.status).toBe(405);
          expect(reply.headers.allow).toBe("POST");
        }
      }),
      { numRuns: 500 },
    );
    await hostile.expectAlive();
  });

  it("stays up with memory bounded and Object.prototype untouched after all cases", async () => {
    await hostile.expectAlive();
    await hostile.expectBounded();
  });
});
