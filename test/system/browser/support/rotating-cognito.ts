/**
 * Cognito as a rotating app client would answer, with the SDK mocked (cognito-local never
 * rotates): every InitiateAuth returns ROTATED and unsigned JWT-shaped tokens the demo page
 * can decode, and the verifier override accepts exactly those.
 */
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { mockClient } from "aws-sdk-client-mock";
import type { ProviderTokens, TokenVerifier } from "../../../../src/refresh/ports.ts";
import { RefreshError } from "../../../../src/refresh/refresh-error.ts";

export const ROTATED = "rotated-refresh-token-2";

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (claims: object) => `${part({ alg: "none" })}.${part(claims)}.unsigned`;

export interface RotatingCognito {
  verifier: TokenVerifier & { hydrate(): Promise<void> };
  /** The refresh tokens the service sent to Cognito, in order. */
  sentTokens(): Array<string | undefined>;
  restore(): void;
}

/** Mocks send() of every SDK client in this process until restore(). */
export function mockRotatingCognito(customerId: string): RotatingCognito {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const fake: ProviderTokens = {
    accessToken: jwt({ token_use: "access", exp }),
    idToken: jwt({ token_use: "id", "custom:id": customerId, exp }),
  };
  const mocked = mockClient(CognitoIdentityProviderClient);
  mocked.on(InitiateAuthCommand).resolves({
    AuthenticationResult: {
      AccessToken: fake.accessToken,
      IdToken: fake.idToken,
      RefreshToken: ROTATED,
      ExpiresIn: 3600,
      TokenType: "Bearer",
    },
  });
  return {
    verifier: {
      hydrate: async () => {},
      async verify(tokens) {
        if (tokens.accessToken !== fake.accessToken || tokens.idToken !== fake.idToken) {
          throw new RefreshError("internal");
        }
        return { accessTokenExp: exp, claims: {} };
      },
    },
    sentTokens: () =>
      mocked
        .commandCalls(InitiateAuthCommand)
        .map((call) => call.args[0].input.AuthParameters?.REFRESH_TOKEN),
    restore: () => mocked.restore(),
  };
}
