/**
 * The per-request shortcuts of the hot path keep their behaviour: the REST route's signal
 * aborts only for a client that went away, a refresh hashes its token once, the error bodies
 * written ahead are the documented ones, and readBody reads, limits and gives up as before.
 * Tokens are synthetic strings.
 */
import { once } from "node:events";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readBody } from "../../src/http/read-body.ts";
import type { Handler } from "../../src/http/types.ts";
import type { IdentityProvider } from "../../src/refresh/ports.ts";
import { createRefreshCustomerToken } from "../../src/refresh/refresh-customer-token.ts";
import { RefreshError, type RefreshErrorKind } from "../../src/refresh/refresh-error.ts";
import type { TokenInput } from "../../src/refresh/token-input.ts";
import { tokenKey } from "../../src/refresh/token-key.ts";
import { createRestRoute } from "../../src/rest/rest-route.ts";
import { restError, restRoutingError } from "../../src/wire/error-table.ts";

const TOKEN = "synthetic.refresh.token";
const TOKENS = { accessToken: "a.b.c", idToken: "d.e.f", expiresIn: 3600 };

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("the REST route's signal", () => {
  it("is not aborted once the answer is sent", async () => {
    let seen: AbortSignal | undefined;
    const url = await serve(
      createRestRoute({
        run: async (_input: TokenInput, signal: AbortSignal) => {
          seen = signal;
          return { ...TOKENS, tokenType: "Bearer" };
        },
        answer: () => ({ body: "{}" }),
        bodyLimitBytes: 1024,
        cookie: { name: "rt", path: "/", maxAgeSeconds: 60 },
        clientAddressOf: () => "127.0.0.1",
        fromOtherOrigin: () => false,
      }),
    );
    const res = await fetch(`${url}/r`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: TOKEN }),
    });
    expect(res.status).toBe(200);
    await res.text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen?.aborted).toBe(false);
  });
});

describe("a refresh", () => {
  it("hashes its token once and hands the key to the provider", async () => {
    const keys: (string | undefined)[] = [];
    const provider: IdentityProvider = {
      refresh: async (_token, _signal, key) => {
        keys.push(key);
        return TOKENS;
      },
    };
    const blockedFor = vi.fn(async (_key: string) => 0);
    const refresh = createRefreshCustomerToken({
      provider,
      verifier: { verify: async () => ({ accessTokenExp: 0, claims: {} }) },
      tokenFailureLimiter: { consume: async () => 0, blockedFor },
    });
    await refresh({ bodyToken: TOKEN });
    expect(keys).toEqual([tokenKey(TOKEN)]);
    expect(blockedFor).toHaveBeenCalledWith(tokenKey(TOKEN));
  });
});

describe("error bodies written ahead", () => {
  const flat = (message: string, errorCode: string) => JSON.stringify({ message, errorCode });
  const signIn = (message: string) =>
    JSON.stringify({
      status: "fail",
      message,
      errorCode: "INVALID",
      data: { errorName: "SignInApiError" },
    });
  const documented: [RefreshErrorKind, string][] = [
    ["missing_token", signIn("Refresh Token is Required")],
    ["bad_request", signIn("Bad Request")],
    ["unauthorized", flat("Unauthorized", "ERR_UNAUTHORIZED")],
    ["forbidden", flat("Forbidden", "ERR_FORBIDDEN")],
    ["payload_too_large", flat("Payload Too Large", "ERR_PAYLOAD_TOO_LARGE")],
    ["rate_limited", flat("Too Many Requests", "ERR_TOO_MANY_REQUESTS")],
    ["unavailable", flat("Service Unavailable", "ERR_SERVICE_UNAVAILABLE")],
    ["internal", flat("Internal Server Error", "ERR_INTERNAL_SERVER")],
  ];

  it.each(documented)("are the documented body for %s", (kind, body) => {
    expect(restError(new RefreshError(kind)).body).toBe(body);
  });

  it("carry a public message when there is one, and fresh headers each time", () => {
    const error = new RefreshError("bad_request", { publicMessage: "Invalid Host header" });
    expect(JSON.parse(restError(error).body)).toMatchObject({ message: "Invalid Host header" });
    const limited = new RefreshError("rate_limited", { retryAfterSeconds: 3 });
    const first = restError(limited);
    first.headers.extra = "x";
    expect(restError(limited).headers).toEqual({ "retry-after": "3" });
    expect(restRoutingError("not_found").body).toBe(
      '{"message":"Not Found","errorCode":"ERR_NOT_FOUND"}',
    );
  });
});

describe("readBody", () => {
  const limit = 64;
  const reading = async () => {
    const outcomes: Promise<unknown>[] = [];
    const url = await serve((req, res) => {
      const read = readBody(req, limit);
      const outcome = read.then((body) => body.toString("utf8"));
      // Awaited by the test later; until then a refusal is not "unhandled".
      outcome.catch(() => undefined);
      outcomes.push(outcome);
      read.then(
        (body) => res.end(`read ${body.length}`),
        () => res.headersSent || res.destroyed || res.end("refused"),
      );
    });
    const first = async () => {
      while (outcomes.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      return outcomes[0];
    };
    return { url, first };
  };

  it("reads a body in several chunks whole", async () => {
    const { url, first } = await reading();
    const req = request(`${url}/`, { method: "POST" });
    req.write("a".repeat(30));
    await new Promise((resolve) => setTimeout(resolve, 10));
    req.end("b".repeat(30));
    const [res] = (await once(req, "response")) as [NodeJS.ReadableStream];
    res.resume();
    await expect(first()).resolves.toBe(`${"a".repeat(30)}${"b".repeat(30)}`);
  });

  it("refuses a declared length over the limit without reading", async () => {
    const { url, first } = await reading();
    const res = await fetch(`${url}/`, { method: "POST", body: "x".repeat(limit + 1) });
    expect(await res.text()).toBe("refused");
    await expect(first()).rejects.toMatchObject({ kind: "payload_too_large" });
  });

  it("stops a streamed body past the limit and drops the connection", async () => {
    const { url, first } = await reading();
    const req = request(`${url}/`, { method: "POST" });
    req.on("error", () => undefined);
    const closed = new Promise((resolve) => req.once("close", resolve));
    req.write("x".repeat(limit + 10));
    await expect(first()).rejects.toMatchObject({ kind: "payload_too_large" });
    await closed;
  });

  it("gives up when the client goes away mid-body", async () => {
    const { url, first } = await reading();
    const req = request(`${url}/`, { method: "POST", headers: { "content-length": "50" } });
    req.on("error", () => undefined);
    req.write("x".repeat(10));
    await new Promise((resolve) => setTimeout(resolve, 20));
    req.destroy();
    await expect(first()).rejects.toBeInstanceOf(Error);
  });
});
