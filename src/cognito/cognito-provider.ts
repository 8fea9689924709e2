import {
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import type { IdentityProvider, ProviderTokens } from "../refresh/ports.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { type CallOptions, callCognito } from "./call-cognito.ts";
import type { RefreshApi } from "./cognito-settings.ts";

export type { ProviderCall } from "./call-cognito.ts";

export interface CognitoProviderOptions {
  client: CognitoIdentityProviderClient;
  clientId: string;
  clientSecret?: string | undefined;
  refreshApi: RefreshApi;
  /** Bounds the whole call, retries included. */
  timeoutMs: number;
  /** Told about every call once it settles (logs and metrics, wired in app.ts). */
  onCall?: CallOptions["onCall"];
}

function toTokens(result: AuthenticationResultType | undefined): ProviderTokens {
  if (!result?.AccessToken || !result.IdToken) {
    // A success without tokens means the pool asks for a challenge we cannot answer.
    throw new RefreshError("internal", { cause: new Error("provider returned no tokens") });
  }
  return {
    accessToken: result.AccessToken,
    idToken: result.IdToken,
    expiresIn: result.ExpiresIn,
    refreshToken: result.RefreshToken,
  };
}

/** The identity provider port, implemented with Cognito's refresh APIs. */
export function createCognitoProvider(options: CognitoProviderOptions): IdentityProvider {
  const { client, clientId, clientSecret, refreshApi, timeoutMs, onCall } = options;
  const operation = refreshApi === "get-tokens" ? "GetTokensFromRefreshToken" : "InitiateAuth";
  const call = async (refreshToken: string, abortSignal: AbortSignal) => {
    if (refreshApi === "get-tokens") {
      const input = { RefreshToken: refreshToken, ClientId: clientId, ClientSecret: clientSecret };
      return client.send(new GetTokensFromRefreshTokenCommand(input), { abortSignal });
    }
    const input = {
      AuthFlow: "REFRESH_TOKEN_AUTH" as const,
      ClientId: clientId,
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    };
    return client.send(new InitiateAuthCommand(input), { abortSignal });
  };
  const callOptions = { operation, timeoutMs, onCall } as const;
  return {
    refresh(refreshToken, signal) {
      return callCognito(
        callOptions,
        signal,
        (abortSignal) => call(refreshToken, abortSignal),
        (output) => toTokens(output.AuthenticationResult),
      );
    },
  };
}
