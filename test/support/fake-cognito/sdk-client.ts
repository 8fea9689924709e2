/**
 * The service's own SDK client pointed at a fake, for tests that talk to the fake directly:
 * same keep-alive agent, timeouts and maxAttempts 3 as production.
 */
import {
  type CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  type GetTokensFromRefreshTokenCommandOutput,
} from "@aws-sdk/client-cognito-identity-provider";
import { createCognitoClient } from "../../../src/cognito/cognito-client.ts";
import { type CognitoConfig, loadConfig } from "../../../src/config/config.ts";
import type { FakeCognito } from "./index.ts";

export function cognitoConfig(env: Readonly<Record<string, string>>): CognitoConfig {
  return loadConfig(env).cognito;
}

export function sdkClient(
  fake: FakeCognito,
  requestTimeoutMs = 5000,
): CognitoIdentityProviderClient {
  return createCognitoClient(cognitoConfig(fake.env), { requestTimeoutMs });
}

/** GetTokensFromRefreshToken with the fake's client id and secret. */
export function getTokens(
  client: CognitoIdentityProviderClient,
  fake: FakeCognito,
  token: string,
  abortSignal?: AbortSignal,
): Promise<GetTokensFromRefreshTokenCommandOutput> {
  const input = {
    RefreshToken: token,
    ClientId: fake.clientId,
    ClientSecret: fake.clientSecret ?? undefined,
  };
  return client.send(new GetTokensFromRefreshTokenCommand(input), { abortSignal });
}

/** The fields of an SDK failure the tests look at. */
export interface SdkFailure {
  name: string;
  message: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

export async function failure(promise: Promise<unknown>): Promise<SdkFailure> {
  try {
    await promise;
  } catch (error) {
    return error as SdkFailure;
  }
  throw new Error("expected the call to fail");
}
