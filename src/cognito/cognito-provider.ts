import {
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import type { RefreshApi } from "../config.ts";
import type { IdentityProvider, ProviderTokens } from "../refresh/ports.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { classifyCognitoError } from "./classify-cognito-error.ts";

export interface CognitoProviderOptions {
  client: CognitoIdentityProviderClient;
  clientId: string;
  clientSecret?: string | undefined;
  refreshApi: RefreshApi;
  /** Bounds the whole call, retries included. */
  timeoutMs: number;
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
  const { client, clientId, clientSecret, refreshApi, timeoutMs } = options;
  const call = async (refreshToken: string, abortSignal: AbortSignal) => {
    if (refreshApi === "get-tokens") {
      const input = { RefreshToken: refreshToken, ClientId: clientId, ClientSecret: clientSecret };
      const output = await client.send(new GetTokensFromRefreshTokenCommand(input), {
        abortSignal,
      });
      return output.AuthenticationResult;
    }
    const input = {
      AuthFlow: "REFRESH_TOKEN_AUTH" as const,
      ClientId: clientId,
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    };
    const output = await client.send(new InitiateAuthCommand(input), { abortSignal });
    return output.AuthenticationResult;
  };
  return {
    async refresh(refreshToken, signal) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
      try {
        return toTokens(await call(refreshToken, abortSignal));
      } catch (reason) {
        throw classifyCognitoError(reason);
      }
    },
  };
}
