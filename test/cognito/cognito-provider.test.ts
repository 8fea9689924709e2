import {
  type CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
  NotAuthorizedException,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterEach, describe, expect, it, vi } from "vitest";
import { restError } from "../../src/wire/error-table.ts";
import { CONFIG, failureOf, mockedClient, realClient, SECRET, TOKEN } from "./cognito-fixture.ts";

const RESULT = {
  AccessToken: "access.jwt",
  IdToken: "id.jwt",
  RefreshToken: "rotated.refresh",
  ExpiresIn: 3600,
  TokenType: "Bearer",
};

describe("the refresh calls (send mocked by aws-sdk-client-mock)", () => {
  it("calls GetTokensFromRefreshToken with the client id, secret and token", async () => {
    const { cognito, provider } = mockedClient();
    cognito.on(GetTokensFromRefreshTokenCommand).resolves({ AuthenticationResult: RESULT });
    const tokens = await provider.refresh(TOKEN);
    const calls = cognito.commandCalls(GetTokensFromRefreshTokenCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      ClientId: CONFIG.clientId,
      ClientSecret: SECRET,
      RefreshToken: TOKEN,
    });
    expect(tokens).toEqual({
      accessToken: "access.jwt",
      idToken: "id.jwt",
      refreshToken: "rotated.refresh",
      expiresIn: 3600,
    });
  });

  it("calls InitiateAuth REFRESH_TOKEN_AUTH without a SECRET_HASH when configured so", async () => {
    const { cognito, provider } = mockedClient("initiate-auth");
    const { RefreshToken: _, ...withoutRotation } = RESULT;
    cognito.on(InitiateAuthCommand).resolves({ AuthenticationResult: withoutRotation });
    const tokens = await provider.refresh(TOKEN);
    const input = cognito.commandCalls(InitiateAuthCommand)[0]?.args[0].input;
    expect(input).toEqual({
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: CONFIG.clientId,
      AuthParameters: { REFRESH_TOKEN: TOKEN },
    });
    expect(input?.AuthParameters).not.toHaveProperty("SECRET_HASH");
    expect(cognito.commandCalls(GetTokensFromRefreshTokenCommand)).toHaveLength(0);
    expect(tokens.refreshToken).toBeUndefined();
  });

  it.each([
    ["no AuthenticationResult (a challenge)", { ChallengeName: "SMS_MFA" as const }],
    ["no IdToken", { AuthenticationResult: { AccessToken: "access.jwt" } }],
    ["no AccessToken", { AuthenticationResult: { IdToken: "id.jwt" } }],
  ])("reports internal for a success with %s", async (_, output) => {
    const { cognito, provider } = mockedClient("initiate-auth");
    cognito.on(InitiateAuthCommand).resolves(output);
    expect((await failureOf(provider.refresh(TOKEN))).kind).toBe("internal");
  });

  it("passes an abort signal that follows the caller's signal", async () => {
    const { cognito, provider } = mockedClient();
    cognito.on(GetTokensFromRefreshTokenCommand).resolves({ AuthenticationResult: RESULT });
    const controller = new AbortController();
    await provider.refresh(TOKEN, controller.signal);
    // commandCalls types args as [command]; send's second argument holds the options.
    const args: unknown[] = cognito.commandCalls(GetTokensFromRefreshTokenCommand)[0]?.args ?? [];
    const signal = (args[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal?.aborted).toBe(false);
    controller.abort();
    expect(signal?.aborted).toBe(true);
  });

  it("sends NotAuthorized once (the stub replaces send: SDK retries never run here)", async () => {
    const { cognito, provider } = mockedClient();
    const error = new NotAuthorizedException({ message: "Invalid Refresh Token", $metadata: {} });
    cognito.on(GetTokensFromRefreshTokenCommand).rejects(error);
    expect((await failureOf(provider.refresh(TOKEN))).kind).toBe("unauthorized");
    expect(cognito.calls()).toHaveLength(1);
  });
});

interface FakeResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Replaces only the HTTP handler, so the SDK's own middleware (retries,
 * deserialisation) runs for real; counts the HTTP attempts it makes.
 */
function fakeHttp(client: CognitoIdentityProviderClient, response: FakeResponse) {
  const attempts = { count: 0 };
  const requestHandler = {
    async handle() {
      attempts.count += 1;
      return { response: { ...response, body: new TextEncoder().encode(response.body) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  Object.assign(client.config, { requestHandler });
  return attempts;
}

const cognitoError = (type: string, statusCode = 400): FakeResponse => ({
  statusCode,
  headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": type },
  body: JSON.stringify({ __type: type, message: "upstream detail" }),
});

describe("SDK retries (maxAttempts 3), observed through a fake HTTP handler", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("makes one HTTP attempt for NotAuthorizedException", async () => {
    const { client, provider } = realClient();
    const attempts = fakeHttp(client, cognitoError("NotAuthorizedException"));
    expect((await failureOf(provider.refresh(TOKEN))).kind).toBe("unauthorized");
    expect(attempts.count).toBe(1);
  });

  // Backoff jitter pinned to 0 so the test is fast; the count does not depend on it.
  it.each([
    ["TooManyRequestsException", 400],
    ["LimitExceededException", 400],
    ["InternalErrorException", 500],
  ])("makes three HTTP attempts for %s, then reports unavailable", async (type, status) => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const { client, provider } = realClient();
    const attempts = fakeHttp(client, cognitoError(type, status));
    expect((await failureOf(provider.refresh(TOKEN))).kind).toBe("unavailable");
    expect(attempts.count).toBe(3);
  });

  it("stops retrying when the provider's timeout passes during backoff", async () => {
    vi.spyOn(Math, "random").mockReturnValue(1); // the longest backoff: 500 ms or more
    const { client, provider } = realClient("get-tokens", 100);
    const attempts = fakeHttp(client, cognitoError("TooManyRequestsException"));
    const started = performance.now();
    const failure = await failureOf(provider.refresh(TOKEN));
    expect(failure.kind).toBe("unavailable");
    expect(attempts.count).toBe(1);
    expect(performance.now() - started).toBeLessThan(450);
  });

  // The error table maps "provider throttled" to 503 unavailable, also when the 429
  // comes without a Cognito error name (a proxy, WAF or gateway in front of it).
  it.each([
    ["an empty body", { statusCode: 429, headers: {}, body: "" }],
    ["an HTML body", { statusCode: 429, headers: { "content-type": "text/html" }, body: "<h1/>" }],
  ])("reports an upstream HTTP 429 with %s as unavailable", async (_, response) => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const { client, provider } = realClient();
    fakeHttp(client, response);
    const failure = await failureOf(provider.refresh(TOKEN));
    expect(failure.kind).toBe("unavailable");
    expect(restError(failure).status).toBe(503);
  });
});
