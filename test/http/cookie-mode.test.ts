// Cookie mode against a real cognito-local: the token in the refresh_token cookie, sent the
// way Worth's web apps send it (axios `post(url)`: credentials, no body, no Content-Type), by
// curl, and by Connect; refused before Cognito when a browser page of another origin sends it.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  claims,
  connectClient,
  JSON_TYPE,
  RPC_PATH,
  restFetch,
  restHttp1,
  restHttp2,
  rpcError,
  setCookies,
} from "../support/clients.ts";
import { startTestCognito, type TestCognito } from "../support/cognito-local.ts";
import {
  type CountingProvider,
  countingProvider,
  type RunningService,
  startService,
} from "../support/server.ts";

const LISTED = "http://app.worth.test";
const FORBIDDEN = '{"message":"Forbidden","errorCode":"ERR_FORBIDDEN"}';
const REVOKE_PATH = "/auth/api/v1/revoke-token/customer";
const cookieOf = (token: string) => ({ cookie: `theme=dark; refresh_token=${token}` });

let cognito: TestCognito;
let service: RunningService;
let counted: CountingProvider | undefined;
const calls = () => counted?.calls() ?? 0;

beforeAll(async () => {
  cognito = await startTestCognito();
  // The real Cognito adapter, counted, so a refused request provably never reached it.
  counted = countingProvider(cognito.env);
  service = await startService(
    { ...cognito.env, CORS_ORIGINS: LISTED, RATE_LIMIT_FAILURES_PER_TOKEN: "2" },
    { overrides: { provider: counted.provider } },
  );
});

afterAll(async () => {
  await service?.close();
  counted?.destroy();
  await cognito?.stop();
});

describe("a cookie-carried refresh", () => {
  it.each([
    ["no body and no Content-Type (Worth's axios call)", {}, undefined],
    ["JSON and no body", JSON_TYPE, undefined],
    ["JSON and an empty object", JSON_TYPE, "{}"],
    ["text/plain and an empty body (a simple request)", { "content-type": "text/plain" }, ""],
  ])("refreshes over REST with %s, HTTP/1.1 and HTTP/2", async (_label, type, body) => {
    for (const send of [restHttp1, restHttp2]) {
      const before = calls();
      const token = await cognito.freshRefreshToken();
      const result = await send(service.url, { headers: { ...type, ...cookieOf(token) }, body });
      expect(result.status).toBe(200);
      const data = (result.body as { data: Record<string, unknown> }).data;
      expect(claims(data.id_token)["custom:id"]).toBe(cognito.demo.customerId);
      expect("refresh_token" in data).toBe(false);
      // The emulator does not rotate: nothing to set.
      expect(setCookies(result.headers)).toEqual([]);
      expect(calls()).toBe(before + 1);
    }
  });

  it("refreshes over Connect (HTTP/1.1 and HTTP/2), at the root and under BASE_PATH", async () => {
    for (const base of [service.url, `${service.url}/auth/api/v1`]) {
      for (const version of ["1.1", "2"] as const) {
        const headers: Headers[] = [];
        const response = await connectClient(base, version).refreshCustomerToken(
          {},
          {
            headers: cookieOf(await cognito.freshRefreshToken()),
            onHeader: (h) => headers.push(h),
          },
        );
        expect(claims(response.idToken)["custom:id"]).toBe(cognito.demo.customerId);
        expect(response.refreshToken).toBe("");
        expect(headers[0]?.getSetCookie()).toEqual([]);
      }
    }
  });

  it("refuses a cookie-carried RPC sent as a simple (text/plain) request", async () => {
    const before = calls();
    const response = await fetch(`${service.url}${RPC_PATH}`, {
      method: "POST",
      headers: { "content-type": "text/plain", ...cookieOf(await cognito.freshRefreshToken()) },
      body: "{}",
    });
    await response.body?.cancel();
    expect(response.status).toBe(415);
    expect(calls()).toBe(before);
  });

  it("lets a body token win over a cookie token, over REST and Connect", async () => {
    const good = await cognito.freshRefreshToken();
    const bad = "not-a-real-refresh-token";
    const send = (body: string, cookie: string) =>
      restFetch(service.url, {
        headers: { ...JSON_TYPE, ...cookieOf(cookie) },
        body: JSON.stringify({ refresh_token: body }),
      });
    expect((await send(good, bad)).status).toBe(200);
    expect((await send(bad, good)).status).toBe(401);
    const client = connectClient(service.url);
    const ok = await client.refreshCustomerToken(
      { refreshToken: good },
      { headers: cookieOf(bad) },
    );
    expect(ok.tokenType).toBe("Bearer");
    const error = await rpcError(
      client.refreshCustomerToken({ refreshToken: bad }, { headers: cookieOf(good) }),
    );
    expect(error.code).toBe(Code.Unauthenticated);
  });
});

// The headers a browser adds, by where the calling page is. The service's own origin is its
// Host: 127.0.0.1:<port> here.
const own = () => `http://127.0.0.1:${service.port}`;
const REFUSED: ReadonlyArray<[string, () => Record<string, string>]> = [
  ["a cross-site page", () => ({ "sec-fetch-site": "cross-site", origin: "https://evil.test" })],
  ["a cross-site page even if listed", () => ({ "sec-fetch-site": "cross-site", origin: LISTED })],
  [
    "an unlisted page of the same site",
    () => ({ "sec-fetch-site": "same-site", origin: "http://x.worth.test" }),
  ],
  ["an unlisted Origin without fetch metadata", () => ({ origin: "https://evil.test" })],
  ["Origin: null", () => ({ origin: "null" })],
];
const TRUSTED: ReadonlyArray<[string, () => Record<string, string>]> = [
  ["the service's own page", () => ({ "sec-fetch-site": "same-origin", origin: own() })],
  ["its own Origin without fetch metadata", () => ({ origin: own() })],
  ["a listed page of the same site", () => ({ "sec-fetch-site": "same-site", origin: LISTED })],
  ["no browser at all (neither header)", () => ({})],
];

describe("a cookie-carried request from a browser page of another origin", () => {
  it.each(REFUSED)("is refused from %s over REST, before Cognito", async (_label, from) => {
    const before = calls();
    const token = await cognito.freshRefreshToken();
    for (const type of [{}, JSON_TYPE, { "content-type": "application/x-www-form-urlencoded" }]) {
      const result = await restFetch(service.url, {
        headers: { ...from(), ...type, ...cookieOf(token) },
      });
      expect(result.status).toBe(403);
      expect(result.text).toBe(FORBIDDEN);
      expect(setCookies(result.headers)).toEqual([]);
    }
    expect(calls()).toBe(before);
  });

  it.each(REFUSED)("is refused from %s over Connect and on revocation", async (_label, from) => {
    const before = calls();
    const token = await cognito.freshRefreshToken();
    const headers = { ...from(), ...cookieOf(token) };
    for (const base of [service.url, `${service.url}/auth/api/v1`]) {
      const client = connectClient(base);
      expect((await rpcError(client.refreshCustomerToken({}, { headers }))).code).toBe(
        Code.PermissionDenied,
      );
      expect((await rpcError(client.revokeCustomerToken({}, { headers }))).code).toBe(
        Code.PermissionDenied,
      );
    }
    const revoked = await restFetch(service.url, { path: REVOKE_PATH, headers });
    expect([revoked.status, revoked.text]).toEqual([403, FORBIDDEN]);
    expect(calls()).toBe(before);
    // Nothing was revoked: the token still refreshes.
    expect((await restFetch(service.url, { headers: cookieOf(token) })).status).toBe(200);
  });

  it.each(TRUSTED)("is served from %s", async (_label, from) => {
    const token = await cognito.freshRefreshToken();
    const result = await restFetch(service.url, { headers: { ...from(), ...cookieOf(token) } });
    expect(result.status).toBe(200);
    const response = await connectClient(service.url).refreshCustomerToken(
      {},
      { headers: { ...from(), ...cookieOf(token) } },
    );
    expect(response.tokenType).toBe("Bearer");
  });

  it("is still served when it carries its token in the body", async () => {
    const token = await cognito.freshRefreshToken();
    const result = await restFetch(service.url, {
      headers: { "sec-fetch-site": "cross-site", origin: "https://evil.test", ...JSON_TYPE },
      body: JSON.stringify({ refresh_token: token }),
    });
    expect(result.status).toBe(200);
  });

  it("never counts against the token's failure limit, so no page can lock a customer out", async () => {
    const token = await cognito.freshRefreshToken();
    const hostile = {
      "sec-fetch-site": "same-site",
      origin: "http://x.worth.test",
      ...cookieOf(token),
    };
    for (let i = 0; i < 4; i++) {
      expect((await restFetch(service.url, { headers: hostile })).status).toBe(403);
    }
    // RATE_LIMIT_FAILURES_PER_TOKEN is 2: counted refusals would answer 429 here.
    expect((await restFetch(service.url, { headers: cookieOf(token) })).status).toBe(200);
  });
});

describe("signing out against cognito-local, which implements RevokeToken", () => {
  it("revokes a cookie-carried token and clears the cookie; the token then refreshes no more", async () => {
    const token = await cognito.freshRefreshToken();
    const result = await restFetch(service.url, { path: REVOKE_PATH, headers: cookieOf(token) });
    expect([result.status, result.text]).toEqual([200, '{"status":"success","message":"Success"}']);
    expect(setCookies(result.headers)).toEqual([
      "refresh_token=; Path=/auth/api/v1; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
      "refresh_token=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
    ]);
    const after = await restFetch(service.url, {
      headers: JSON_TYPE,
      body: JSON.stringify({ refresh_token: token }),
    });
    expect(after.status).toBe(401);
  });

  it("revokes a body token over Connect without touching cookies; then refresh is unauthenticated", async () => {
    const token = await cognito.freshRefreshToken();
    const client = connectClient(service.url, "2");
    const headers: Headers[] = [];
    await client.revokeCustomerToken({ refreshToken: token }, { onHeader: (h) => headers.push(h) });
    expect(headers[0]?.getSetCookie()).toEqual([]);
    const error = await rpcError(client.refreshCustomerToken({ refreshToken: token }));
    expect(error.code).toBe(Code.Unauthenticated);
  });

  it("answers an unknown token and a revoked one like a fresh revocation", async () => {
    const token = await cognito.freshRefreshToken();
    for (const sent of [token, token, "unknown-token-never-issued"]) {
      const result = await restFetch(service.url, {
        path: REVOKE_PATH,
        headers: JSON_TYPE,
        body: JSON.stringify({ refresh_token: sent }),
      });
      expect([result.status, result.text]).toEqual([
        200,
        '{"status":"success","message":"Success"}',
      ]);
    }
  });
});
