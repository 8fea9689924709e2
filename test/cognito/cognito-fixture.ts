import { mockClient } from "aws-sdk-client-mock";
import { afterEach, expect } from "vitest";
import { createCognitoClient } from "../../src/cognito/cognito-client.ts";
import { createCognitoProvider } from "../../src/cognito/cognito-provider.ts";
import type { CognitoConfig, RefreshApi } from "../../src/config/config.ts";
import { RefreshError } from "../../src/refresh/refresh-error.ts";

// Fake, token-shaped values: nothing here is a real credential.
export const TOKEN = "eyJjdHkiOiJKV1QifQ.fake.refresh";
export const SECRET = "fake-client-secret";
export const CONFIG: CognitoConfig = {
  region: "us-east-1",
  userPoolId: "us-east-1_AbC123",
  clientId: "client123",
  clientSecret: SECRET,
  endpoint: undefined,
  refreshApi: "get-tokens",
  issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123",
  jwksUri: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/.well-known/jwks.json",
};

const clients: { destroy(): void }[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

/** A real SDK client (createCognitoClient) and the provider adapter on top of it. */
export function realClient(refreshApi: RefreshApi = "get-tokens", timeoutMs = 5000) {
  const client = createCognitoClient(CONFIG, { requestTimeoutMs: 1000 });
  clients.push(client);
  const provider = createCognitoProvider({
    client,
    clientId: CONFIG.clientId,
    clientSecret: refreshApi === "get-tokens" ? SECRET : undefined,
    refreshApi,
    timeoutMs,
  });
  return { client, provider };
}

/** The same, with `send` replaced by aws-sdk-client-mock (no middleware runs). */
export function mockedClient(refreshApi: RefreshApi = "get-tokens") {
  const { client, provider } = realClient(refreshApi);
  return { cognito: mockClient(client), provider };
}

export async function failureOf(promise: Promise<unknown>): Promise<RefreshError> {
  const reason = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(reason).toBeInstanceOf(RefreshError);
  return reason as RefreshError;
}
