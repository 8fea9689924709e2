/**
 * createCognitoClient's lean configuration: the middleware it drops are gone (and were
 * there to drop: a renamed one in a new SDK would otherwise stay silently), what a refresh
 * needs is still there, and the request bytes are the ones the SDK's default codec writes.
 * Tokens are synthetic strings.
 */
import {
  CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterEach, describe, expect, it } from "vitest";
import { createCognitoClient, DROPPED_MIDDLEWARE } from "../../src/cognito/cognito-client.ts";
import { CONFIG } from "./cognito-fixture.ts";

interface Sent {
  headers: Record<string, string>;
  body: string;
}

const clients: { destroy(): void }[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

/** Replaces only the HTTP handler and keeps what the SDK would have put on the wire. */
function capture(client: CognitoIdentityProviderClient): Sent[] {
  clients.push(client);
  const sent: Sent[] = [];
  const body = JSON.stringify({
    AuthenticationResult: { AccessToken: "a.b.c", IdToken: "d.e.f", ExpiresIn: 3600 },
  });
  Object.assign(client.config, {
    requestHandler: {
      async handle(request: { headers: Record<string, string>; body: string | Uint8Array }) {
        // The default codec's body is bytes that also answer string methods (with a warning).
        const text =
          typeof request.body === "string"
            ? request.body
            : new TextDecoder().decode(Uint8Array.prototype.slice.call(request.body));
        sent.push({ headers: { ...request.headers }, body: text });
        return {
          response: {
            statusCode: 200,
            headers: { "content-type": "application/x-amz-json-1.1" },
            body: new TextEncoder().encode(body),
          },
        };
      },
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
      destroy() {},
    },
  });
  return sent;
}

const names = (client: CognitoIdentityProviderClient) =>
  client.middlewareStack.identify().map((entry) => entry.split(" ")[0]);

describe("createCognitoClient", () => {
  it("drops middleware the default client has, and keeps what a refresh needs", () => {
    const plain = new CognitoIdentityProviderClient({ region: "us-east-1" });
    clients.push(plain);
    for (const name of DROPPED_MIDDLEWARE) expect(names(plain)).toContain(name);
    const lean = createCognitoClient(CONFIG, { requestTimeoutMs: 1000 });
    clients.push(lean);
    expect(names(lean)).toEqual([
      "serializerMiddleware",
      "contentLengthMiddleware",
      "retryMiddleware",
      "httpSigningMiddleware",
      "deserializerMiddleware",
    ]);
  });

  it.each([
    [
      "GetTokensFromRefreshToken",
      new GetTokensFromRefreshTokenCommand({
        RefreshToken: 'synthetic.tok\u00e9n"\\\ud800',
        ClientId: "client123",
        ClientSecret: "fake-secret",
      }),
    ],
    [
      "InitiateAuth",
      new InitiateAuthCommand({
        AuthFlow: "REFRESH_TOKEN_AUTH",
        ClientId: "client123",
        AuthParameters: { REFRESH_TOKEN: "synthetic.token" },
      }),
    ],
  ])("sends the default client's %s body and protocol headers", async (_, command) => {
    const plain = capture(
      new CognitoIdentityProviderClient({ region: "us-east-1", endpoint: "http://127.0.0.1:9" }),
    );
    const lean = capture(createCognitoClient(CONFIG, { requestTimeoutMs: 1000 }));
    const defaultClient = clients.at(-2) as CognitoIdentityProviderClient;
    const leanClient = clients.at(-1) as CognitoIdentityProviderClient;
    const plainOut = await defaultClient.send(command as GetTokensFromRefreshTokenCommand);
    const leanOut = await leanClient.send(command as GetTokensFromRefreshTokenCommand);
    expect(lean[0]?.body).toBe(plain[0]?.body);
    expect(leanOut.AuthenticationResult).toEqual(plainOut.AuthenticationResult);
    for (const header of ["content-type", "x-amz-target", "content-length", "amz-sdk-request"]) {
      expect(lean[0]?.headers[header]).toBe(plain[0]?.headers[header]);
    }
    expect(lean[0]?.headers).not.toHaveProperty("user-agent");
  });
});
