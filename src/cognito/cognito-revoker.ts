import {
  type CognitoIdentityProviderClient,
  RevokeTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import type { TokenRevoker } from "../refresh/ports.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { type CallOptions, callCognito } from "./call-cognito.ts";
import { classifyCognitoError } from "./classify-cognito-error.ts";

export interface CognitoRevokerOptions {
  client: CognitoIdentityProviderClient;
  clientId: string;
  clientSecret?: string | undefined;
  /** Bounds the whole call, retries included. */
  timeoutMs: number;
  onCall?: CallOptions["onCall"];
}

/**
 * RevokeToken's own answers, over the shared table: a token that is no refresh token is no
 * token to revoke, and an app client without token revocation is our configuration.
 */
function classifyRevokeError(reason: unknown): RefreshError {
  const name = (reason as { name?: unknown } | null)?.name;
  if (name === "UnsupportedTokenTypeException") {
    return new RefreshError("unauthorized", { cause: reason });
  }
  if (name === "UnsupportedOperationException") {
    const why = "token revocation is not enabled for the app client";
    return new RefreshError("internal", { cause: reason, reason: why });
  }
  return classifyCognitoError(reason);
}

/** The token revoker port, implemented with Cognito's RevokeToken. */
export function createCognitoRevoker(options: CognitoRevokerOptions): TokenRevoker {
  const { client, clientId, clientSecret, timeoutMs, onCall } = options;
  const callOptions = {
    operation: "RevokeToken",
    timeoutMs,
    onCall,
    classify: classifyRevokeError,
  } as const;
  return {
    async revoke(token, signal) {
      const input = { Token: token, ClientId: clientId, ClientSecret: clientSecret };
      await callCognito(
        callOptions,
        signal,
        (abortSignal) => client.send(new RevokeTokenCommand(input), { abortSignal }),
        () => undefined,
      );
    },
  };
}
