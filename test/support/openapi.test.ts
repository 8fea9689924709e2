// validateRestResponse, the OpenAPI check every REST answer in the tests goes through: it
// accepts the documented answers, names what is wrong with the rest, and never quotes a token.
import { describe, expect, it } from "vitest";
import { openApiDocument, resolvePointer, validateRestResponse } from "./openapi.ts";

type JsonObject = { [key: string]: unknown };
const obj = (value: unknown): JsonObject => value as JsonObject;
const BASE = "/auth/api/v1";
const ROUTE = `${BASE}/refresh-token/customer`;
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };
const TOKEN_HEADERS = { ...JSON_HEADERS, "cache-control": "no-store" };

describe("validateRestResponse", () => {
  const bodyOf = (status: string) => {
    const at = `#/paths/~1refresh-token~1customer/post/responses/${status}`;
    return JSON.stringify(obj(obj(obj(resolvePointer(at)).content)["application/json"]).example);
  };
  const unauthorized = { message: "Unauthorized", errorCode: "ERR_UNAUTHORIZED" };
  const post = (status: number, body: unknown, headers: JsonObject = JSON_HEADERS) => ({
    method: "POST",
    path: ROUTE,
    status,
    headers: headers as Record<string, string>,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

  it("accepts documented responses", () => {
    const success = validateRestResponse(post(200, bodyOf("200"), TOKEN_HEADERS));
    expect(success).toMatchObject({ status: "success" });
    expect(validateRestResponse(post(401, unauthorized))).toEqual(unauthorized);
    const rotated = new Headers(TOKEN_HEADERS);
    rotated.append(
      "set-cookie",
      `refresh_token=abc; Path=${ROUTE}; Max-Age=60; HttpOnly; Secure; SameSite=Strict`,
    );
    validateRestResponse({ ...post(200, bodyOf("200")), headers: rotated });
    const limited = { message: "Too Many Requests", errorCode: "ERR_TOO_MANY_REQUESTS" };
    validateRestResponse(post(429, limited, { ...JSON_HEADERS, "retry-after": "3" }));
    const notAllowed = { message: "Method Not Allowed", errorCode: "ERR_METHOD_NOT_ALLOWED" };
    validateRestResponse({
      ...post(405, notAllowed, { ...JSON_HEADERS, allow: "POST" }),
      method: "GET",
    });
    const ok = { method: "GET", headers: JSON_HEADERS, status: 200 };
    validateRestResponse({ ...ok, path: "/healthz", body: '{"status":"ok"}' });
    const getOnly = { ...JSON_HEADERS, allow: "GET, HEAD" };
    const healthz = { ...post(405, notAllowed, getOnly), path: "/healthz" };
    validateRestResponse(healthz);
    validateRestResponse({
      ...ok,
      path: "/readyz?verbose",
      body: '{"status":"ready","rateLimitStore":"memory"}',
    });
    validateRestResponse({
      ...ok,
      status: 503,
      path: "/readyz",
      body: '{"status":"not_ready","rateLimitStore":"redis"}',
    });
    validateRestResponse({
      ...ok,
      path: `${BASE}/openapi.json`,
      body: JSON.stringify(openApiDocument),
    });
  });

  it("rejects a wrong errorCode", () => {
    expect(() =>
      validateRestResponse(post(401, { ...unauthorized, errorCode: "ERR_FORBIDDEN" })),
    ).toThrow(/errorCode must be equal to constant/);
  });

  it("rejects an extra key, and keys out of order", () => {
    expect(() => validateRestResponse(post(401, { ...unauthorized, detail: "x" }))).toThrow(
      /additionalProperty":"detail"/,
    );
    const swapped = { errorCode: "ERR_UNAUTHORIZED", message: "Unauthorized" };
    expect(() => validateRestResponse(post(401, swapped))).toThrow(/expected message,errorCode/);
  });

  it("rejects an undocumented status, method or path", () => {
    expect(() => validateRestResponse(post(418, unauthorized))).toThrow(
      /status 418 is not documented/,
    );
    expect(() => validateRestResponse({ ...post(401, unauthorized), method: "PUT" })).toThrow(
      /method PUT/,
    );
    expect(() =>
      validateRestResponse({ ...post(401, unauthorized), path: "/refresh-token/customer" }),
    ).toThrow(/no documented path/);
  });

  it("rejects a cookie without HttpOnly and a token response without no-store", () => {
    const rotated = new Headers(TOKEN_HEADERS);
    rotated.append("set-cookie", `refresh_token=abc; Path=${ROUTE}; Secure; SameSite=Strict`);
    expect(() => validateRestResponse({ ...post(200, bodyOf("200")), headers: rotated })).toThrow(
      /header Set-Cookie must match pattern/,
    );
    expect(() => validateRestResponse(post(200, bodyOf("200")))).toThrow(
      /header Cache-Control is missing/,
    );
  });

  it("rejects a wrong content type and a missing required header", () => {
    expect(() =>
      validateRestResponse(post(401, unauthorized, { "content-type": "text/plain" })),
    ).toThrow(/Content-Type is "text\/plain"/);
    const unavailable = { message: "Service Unavailable", errorCode: "ERR_SERVICE_UNAVAILABLE" };
    expect(() => validateRestResponse(post(503, unavailable))).toThrow(
      /header Retry-After is missing/,
    );
  });

  it("never puts a token in its message", () => {
    const token = "eyJ".padEnd(300, "x");
    const leaky = JSON.parse(bodyOf("200"));
    leaky.data.refresh_token = token;
    leaky.data.extra = token;
    let message = "";
    try {
      validateRestResponse(post(200, leaky, TOKEN_HEADERS));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/additional properties/);
    expect(message).not.toContain("eyJxxx");
    expect(() => validateRestResponse(post(200, `not json ${token}`, TOKEN_HEADERS))).toThrow(
      /^(?![\s\S]*eyJxxx)[\s\S]*body is not JSON/,
    );
  });
});
