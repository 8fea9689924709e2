/**
 * The programmable Cognito fake, driven by the real AWS SDK client the service uses
 * (createCognitoClient: keep-alive, maxAttempts 3). Each scripted fault must come out of the
 * SDK as the exception Cognito would cause, after as many attempts as the SDK makes for it.
 * Tokens are asserted on, never printed.
 */
import {
  CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTokenVerifier } from "../../../src/cognito/token-verifier.ts";
import { claims, JSON_TYPE, restFetch } from "../clients.ts";
import { startService } from "../server.ts";
import { type FakeCognito, type Step, startFakeCognito, type UserState } from "./index.ts";
import { cognitoConfig, failure, getTokens, sdkClient } from "./sdk-client.ts";

let fake: FakeCognito;
let client: CognitoIdentityProviderClient;

beforeAll(async () => {
  fake = await startFakeCognito();
  client = sdkClient(fake);
});
beforeEach(() => fake.reset());
afterAll(async () => {
  client.destroy();
  await fake.close();
});

describe("normal behaviour", () => {
  it("issues RS256 tokens with Cognito's claims that verify against the served JWKS", async () => {
    const token = fake.issueRefreshToken({ username: "grouped", groups: ["customers"] });
    const { AuthenticationResult: result } = await getTokens(client, fake, token);
    expect(result).toMatchObject({ ExpiresIn: 3600, TokenType: "Bearer" });
    expect(result?.RefreshToken).toBeUndefined();
    const tokens = { accessToken: result?.AccessToken ?? "", idToken: result?.IdToken ?? "" };
    const verified = await createTokenVerifier(cognitoConfig(fake.env)).verify(tokens);
    const user = fake.user("grouped");
    expect(verified.claims).toMatchObject({
      sub: user?.sub,
      aud: fake.clientId,
      iss: fake.issuer,
      token_use: "id",
      email: user?.email,
      given_name: user?.givenName,
      family_name: user?.familyName,
      "custom:id": user?.customId,
      "cognito:username": "grouped",
      "cognito:groups": ["customers"],
    });
    expect(claims(tokens.accessToken)).toMatchObject({
      client_id: fake.clientId,
      token_use: "access",
      scope: "aws.cognito.signin.user.admin",
      username: "grouped",
      exp: verified.accessTokenExp,
    });
    expect(verified.accessTokenExp - Number(claims(tokens.accessToken).iat)).toBe(3600);
  });

  it("reuses one keep-alive connection for many calls", async () => {
    for (let i = 0; i < 5; i++) {
      await getTokens(client, fake, fake.issueRefreshToken());
    }
    expect(fake.calls()).toBe(5);
    expect(fake.connections()).toBeLessThanOrEqual(1);
  });

  it("rotates when the client has rotation on; the old token is then reuse", async () => {
    const rotating = await startFakeCognito({ rotate: true });
    const rotatingClient = sdkClient(rotating);
    try {
      const old = rotating.issueRefreshToken();
      const first = await getTokens(rotatingClient, rotating, old);
      const next = first.AuthenticationResult?.RefreshToken ?? "";
      expect(next).not.toBe("");
      expect((await failure(getTokens(rotatingClient, rotating, old))).name).toBe(
        "RefreshTokenReuseException",
      );
      const second = await getTokens(rotatingClient, rotating, next);
      expect(second.AuthenticationResult?.AccessToken).toBeDefined();
    } finally {
      rotatingClient.destroy();
      await rotating.close();
    }
  });

  it("refreshes with InitiateAuth REFRESH_TOKEN_AUTH, never rotating", async () => {
    const plain = await startFakeCognito({ refreshApi: "initiate-auth", rotate: true });
    const plainClient = sdkClient(plain);
    try {
      expect(plain.env.COGNITO_CLIENT_SECRET).toBeUndefined();
      const input = {
        AuthFlow: "REFRESH_TOKEN_AUTH" as const,
        ClientId: plain.clientId,
        AuthParameters: { REFRESH_TOKEN: plain.issueRefreshToken() },
      };
      const output = await plainClient.send(new InitiateAuthCommand(input));
      expect(output.AuthenticationResult?.IdToken).toBeDefined();
      expect(output.AuthenticationResult?.RefreshToken).toBeUndefined();
      expect(plain.calls("InitiateAuth")).toBe(1);
      expect(plain.calls("GetTokensFromRefreshToken")).toBe(0);
    } finally {
      plainClient.destroy();
      await plain.close();
    }
  });

  it("refuses an unknown client and a wrong secret as Cognito does", async () => {
    const token = fake.issueRefreshToken();
    const send = (input: { ClientId: string; ClientSecret?: string }) =>
      failure(client.send(new GetTokensFromRefreshTokenCommand({ RefreshToken: token, ...input })));
    expect((await send({ ClientId: "unknownclient1" })).name).toBe("ResourceNotFoundException");
    const wrong = await send({ ClientId: fake.clientId, ClientSecret: "not-the-secret" });
    expect(wrong).toMatchObject({ name: "NotAuthorizedException" });
    expect(wrong.message).toMatch(/secret hash/);
  });

  const userStates: Array<[UserState, string, string]> = [
    ["disabled", "NotAuthorizedException", "User is disabled."],
    ["deleted", "UserNotFoundException", "User does not exist."],
    ["unconfirmed", "UserNotConfirmedException", "User is not confirmed."],
    ["password-reset", "PasswordResetRequiredException", "Password reset required for the user"],
  ];
  it.each(userStates)("answers for a %s user with %s", async (state, name, message) => {
    const token = fake.issueRefreshToken({ username: `user-${state}` });
    fake.setUser({ username: `user-${state}`, state });
    expect(await failure(getTokens(client, fake, token))).toMatchObject({ name, message });
    expect(fake.calls()).toBe(1);
  });

  it("says which refresh tokens are unknown, expired or revoked", async () => {
    const messageFor = async (token: string) =>
      (await failure(getTokens(client, fake, token))).message;
    const expired = fake.issueRefreshToken();
    const revoked = fake.issueRefreshToken();
    fake.setRefreshTokenState(expired, "expired");
    fake.setRefreshTokenState(revoked, "revoked");
    expect(await messageFor("never-issued")).toBe("Invalid Refresh Token");
    expect(await messageFor(expired)).toBe("Refresh Token has expired");
    expect(await messageFor(revoked)).toBe("Refresh Token has been revoked");
  });
});

// step -> the SDK's exception name, HTTP status it saw, and calls made with maxAttempts 3.
const FAULTS: Array<[Step, string, number | undefined, number]> = [
  ["reuse", "RefreshTokenReuseException", 400, 1],
  ["invalid", "NotAuthorizedException", 400, 1],
  ["expired", "NotAuthorizedException", 400, 1],
  ["revoked", "NotAuthorizedException", 400, 1],
  ["disabled", "NotAuthorizedException", 400, 1],
  ["user-not-found", "UserNotFoundException", 400, 1],
  ["password-reset", "PasswordResetRequiredException", 400, 1],
  ["unconfirmed", "UserNotConfirmedException", 400, 1],
  ["throttle", "TooManyRequestsException", 400, 3],
  ["internal-error", "InternalErrorException", 500, 3],
  ["resource-not-found", "ResourceNotFoundException", 400, 1],
  ["html-503", "SyntaxError", 503, 3],
  [{ html: 501 }, "SyntaxError", 501, 1],
  ["malformed-json", "SyntaxError", 200, 1],
  // A socket hang-up surfaces as TimeoutError (code ECONNRESET), and is retried.
  ["reset", "TimeoutError", undefined, 3],
];

describe("scripted faults through the real SDK", () => {
  it.each(FAULTS)("%j -> %s (HTTP %s) after %i call(s)", async (step, name, status, calls) => {
    fake.scriptAlways(step);
    const error = await failure(getTokens(client, fake, fake.issueRefreshToken()));
    expect(error.name).toBe(name);
    expect(error.$metadata?.httpStatusCode).toBe(status);
    expect(fake.calls()).toBe(calls);
  });
});

describe("scripted flow and timing", () => {
  it("consumes one scripted step per call, then behaves normally again", async () => {
    fake.script("throttle", "invalid");
    const error = await failure(getTokens(client, fake, fake.issueRefreshToken()));
    expect(error).toMatchObject({
      name: "NotAuthorizedException",
      message: "Invalid Refresh Token",
    });
    expect([fake.calls(), fake.pending()]).toEqual([2, 0]);
    await getTokens(client, fake, fake.issueRefreshToken());
    expect(fake.calls("GetTokensFromRefreshToken")).toBe(3);
  });

  it("succeeds on 'rotate' and 'no-rotate' whatever the token, and honours the new one", async () => {
    fake.script("rotate", "no-rotate");
    const rotated = await getTokens(client, fake, "never-issued");
    const next = rotated.AuthenticationResult?.RefreshToken ?? "";
    expect(next).not.toBe("");
    const plain = await getTokens(client, fake, "never-issued-either");
    expect(plain.AuthenticationResult?.RefreshToken).toBeUndefined();
    expect((await getTokens(client, fake, next)).AuthenticationResult?.IdToken).toBeDefined();
  });

  it("answers a delayed step only after the delay", async () => {
    fake.script({ delayMs: 300 });
    const started = performance.now();
    await getTokens(client, fake, fake.issueRefreshToken());
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("cuts a hung attempt at the service client's attempt timeout and retries it", async () => {
    const shortTimeout = sdkClient(fake, 200);
    try {
      fake.script("hang", "normal");
      const started = performance.now();
      const result = await getTokens(shortTimeout, fake, fake.issueRefreshToken());
      expect(result.AuthenticationResult?.AccessToken).toBeDefined();
      expect(performance.now() - started).toBeGreaterThanOrEqual(190);
      expect(fake.calls()).toBe(2);
    } finally {
      shortTimeout.destroy();
    }
  });

  it("lets the SDK time out a hung call itself only with throwOnRequestTimeout, then retries", async () => {
    const strict = new CognitoIdentityProviderClient({
      region: "us-east-1",
      endpoint: fake.endpoint,
      maxAttempts: 3,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    try {
      fake.scriptAlways("hang");
      const error = await failure(getTokens(strict, fake, fake.issueRefreshToken()));
      expect(error).toMatchObject({ name: "TimeoutError", code: "ETIMEDOUT" });
      expect(fake.calls()).toBe(3);
    } finally {
      strict.destroy();
    }
  });

  it("ends held sockets on close() without hanging", async () => {
    const closing = await startFakeCognito();
    const closingClient = sdkClient(closing);
    try {
      closing.scriptAlways("hang");
      const call = failure(getTokens(closingClient, closing, closing.issueRefreshToken()));
      while (closing.calls() === 0) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const started = performance.now();
      await closing.close();
      expect(performance.now() - started).toBeLessThan(500);
      // The held attempt is cut, and the SDK's retries then find the port closed.
      expect(await call).toMatchObject({ code: "ECONNREFUSED", $metadata: { attempts: 3 } });
    } finally {
      closingClient.destroy();
    }
  });
});

describe("JWKS", () => {
  it("fails verification as unavailable while the JWKS answers 500 or resets", async () => {
    const config = cognitoConfig(fake.env);
    await createTokenVerifier(config).hydrate();
    expect(fake.jwksRequests()).toBe(1);
    fake.rotateSigningKey();
    const result = (await getTokens(client, fake, fake.issueRefreshToken())).AuthenticationResult;
    const tokens = { accessToken: result?.AccessToken ?? "", idToken: result?.IdToken ?? "" };
    for (const step of ["500", "reset"] as const) {
      fake.scriptJwks(step);
      // A fresh verifier: aws-jwt-verify waits before refetching after a failed fetch.
      const verifier = createTokenVerifier(config);
      await expect(verifier.verify(tokens)).rejects.toMatchObject({ kind: "unavailable" });
    }
    const verified = await createTokenVerifier(config).verify(tokens);
    expect(verified.claims.token_use).toBe("id");
  });
});

describe("the service against the fake", () => {
  const refreshOver = async (target: FakeCognito) => {
    const service = await startService(target.env);
    try {
      const body = JSON.stringify({ refresh_token: target.issueRefreshToken() });
      return await restFetch(service.url, { headers: JSON_TYPE, body });
    } finally {
      await service.close();
    }
  };

  it("answers a REST refresh with 200 and expires_in 3600", async () => {
    const response = await refreshOver(fake);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: "success", data: { expires_in: 3600 } });
    expect(response.body).not.toHaveProperty("data.refresh_token");
    expect(fake.calls()).toBe(1);
  });

  it("passes a rotated refresh token on in data.refresh_token", async () => {
    const rotating = await startFakeCognito({ rotate: true });
    try {
      const response = await refreshOver(rotating);
      expect(response.status).toBe(200);
      expect(response.body).toHaveProperty("data.refresh_token", expect.any(String));
    } finally {
      await rotating.close();
    }
  });
});
