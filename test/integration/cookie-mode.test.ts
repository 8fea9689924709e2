// Cookie mode (DESIGN §3), (a) against a real cognito-local, (b) rotation with the SDK mocked:
// the cookie is accepted only on a non-simple request; a rotated token goes back as a cookie.
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { Code } from "@connectrpc/connect";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderTokens } from "../../src/refresh/ports.ts";
import { RefreshError } from "../../src/refresh/refresh-error.ts";
import {
  claims,
  connectClient,
  JSON_TYPE,
  REST_PATH,
  RPC_PATH,
  restFetch,
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

let cognito: TestCognito;

beforeAll(async () => {
  cognito = await startTestCognito();
});

afterAll(async () => {
  await cognito?.stop();
});

const COOKIE_NEEDS_JSON =
  '{"status":"fail","message":"A refresh token cookie is only accepted with Content-Type: application/json","errorCode":"INVALID","data":{"errorName":"SignInApiError"}}';
const cookieOf = (token: string) => ({ cookie: `theme=dark; refresh_token=${token}` });

describe("cookie mode against cognito-local", () => {
  let service: RunningService;
  let counted: CountingProvider | undefined;
  const calls = () => counted?.calls() ?? 0;

  beforeAll(async () => {
    // The real Cognito adapter, counted, so a refused request provably never reached it.
    counted = countingProvider(cognito.env);
    service = await startService(cognito.env, { provider: counted.provider });
  });

  afterAll(async () => {
    await service?.close();
    counted?.destroy();
  });

  it.each([
    ["no body", undefined],
    ["an empty object", "{}"],
  ])("refreshes over REST from the cookie with JSON content type and %s", async (_l, body) => {
    const before = calls();
    const result = await restFetch(service.url, {
      headers: { ...JSON_TYPE, ...cookieOf(await cognito.freshRefreshToken()) },
      body,
    });
    expect(result.status).toBe(200);
    const data = (result.body as { data: Record<string, unknown> }).data;
    expect(claims(data.id_token)["custom:id"]).toBe(cognito.demo.customerId);
    expect("refresh_token" in data).toBe(false);
    // The emulator does not rotate: no cookie to set.
    expect(setCookies(result.headers)).toEqual([]);
    expect(calls()).toBe(before + 1);
  });

  it("refreshes over Connect JSON (HTTP/1.1 and HTTP/2) from the cookie", async () => {
    for (const version of ["1.1", "2"] as const) {
      const client = connectClient(service.url, version);
      const headers: Headers[] = [];
      const cookie = cookieOf(await cognito.freshRefreshToken());
      const response = await client.refreshCustomerToken(
        {},
        { headers: cookie, onHeader: (h) => headers.push(h) },
      );
      expect(claims(response.idToken)["custom:id"]).toBe(cognito.demo.customerId);
      expect(response.refreshToken).toBe("");
      expect(headers[0]?.getSetCookie()).toEqual([]);
    }
  });

  it.each([
    ["a form content type", { "content-type": "application/x-www-form-urlencoded" }],
    ["text/plain", { "content-type": "text/plain" }],
    ["no content type", {}],
  ])("refuses a cookie-carried REST request with %s, before the provider", async (_l, type) => {
    const before = calls();
    const token = await cognito.freshRefreshToken();
    for (const send of [restFetch, restHttp2]) {
      const result = await send(service.url, { headers: { ...type, ...cookieOf(token) } });
      expect(result.status).toBe(400);
      expect(result.text).toBe(COOKIE_NEEDS_JSON);
    }
    expect(calls()).toBe(before);
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

describe("cookie mode when the provider rotates the refresh token", () => {
  const OLD = "old-refresh-token";
  const ROTATED = "rotated-refresh-token-2";
  const FAKE: ProviderTokens = { accessToken: "fake.access.token", idToken: "fake.id.token" };
  const cookieAttrs = (path: string) =>
    `refresh_token=${ROTATED}; Path=${path}; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict`;
  let service: RunningService;
  let mocked: AwsClientStub<CognitoIdentityProviderClient> | undefined;

  beforeAll(async () => {
    // Mocks send() of every instance (the service's too) until afterAll; no admin calls meanwhile.
    mocked = mockClient(CognitoIdentityProviderClient);
    mocked.on(InitiateAuthCommand).resolves({
      AuthenticationResult: {
        AccessToken: FAKE.accessToken,
        IdToken: FAKE.idToken,
        RefreshToken: ROTATED,
        ExpiresIn: 3600,
        TokenType: "Bearer",
      },
    });
    const verifier = {
      hydrate: async () => {},
      async verify(tokens: ProviderTokens) {
        if (tokens.accessToken !== FAKE.accessToken || tokens.idToken !== FAKE.idToken) {
          throw new RefreshError("internal");
        }
        return { accessTokenExp: Math.floor(Date.now() / 1000) + 3600, claims: {} };
      },
    };
    service = await startService(cognito.env, { verifier });
  });

  afterAll(async () => {
    await service?.close();
    mocked?.restore();
  });

  it("sends a cookie-carried rotation back as Set-Cookie, not in the REST body", async () => {
    for (const send of [restFetch, restHttp2]) {
      const result = await send(service.url, { headers: { ...JSON_TYPE, ...cookieOf(OLD) } });
      expect(result.status).toBe(200);
      expect(setCookies(result.headers)).toEqual([cookieAttrs(REST_PATH)]);
      const data = (result.body as { data: Record<string, unknown> }).data;
      expect(Object.keys(data).join()).toBe("access_token,id_token,expires_in,token_type");
      expect(result.text).not.toContain(ROTATED);
    }
    const sent = mocked?.commandCalls(InitiateAuthCommand) ?? [];
    expect(sent.at(-1)?.args[0].input.AuthParameters?.REFRESH_TOKEN).toBe(OLD);
  });

  it("sends a body-carried rotation back in the REST body, with no Set-Cookie", async () => {
    const result = await restFetch(service.url, {
      headers: { ...JSON_TYPE, ...cookieOf("some-other-cookie-token") },
      body: JSON.stringify({ refresh_token: OLD }),
    });
    expect(result.status).toBe(200);
    expect(setCookies(result.headers)).toEqual([]);
    const data = (result.body as { data: Record<string, unknown> }).data;
    expect(Object.keys(data).join()).toBe(
      "access_token,id_token,expires_in,token_type,refresh_token",
    );
    expect(data.refresh_token).toBe(ROTATED);
  });

  it("over Connect: a cookie-carried rotation as set-cookie on the RPC path, a body one in the message", async () => {
    const headers: Headers[] = [];
    const onHeader = (h: Headers) => headers.push(h);
    const fromCookie = await connectClient(service.url).refreshCustomerToken(
      {},
      { headers: cookieOf(OLD), onHeader },
    );
    expect(fromCookie.refreshToken).toBe("");
    expect(fromCookie.accessToken).toBe(FAKE.accessToken);
    expect(headers[0]?.getSetCookie()).toEqual([cookieAttrs(RPC_PATH)]);
    const fromBody = await connectClient(service.url, "2").refreshCustomerToken(
      { refreshToken: OLD },
      { onHeader },
    );
    expect(fromBody.refreshToken).toBe(ROTATED);
    expect(headers[1]?.getSetCookie()).toEqual([]);
  });
});
