import {
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import type { RefreshApi } from "../config.ts";
import type { IdentityProvider, ProviderTokens } from "../refresh/ports.ts";
import { RefreshError, type RefreshErrorKind } from "../refresh/refresh-error.ts";
import { classifyCognitoError } from "./classify-cognito-error.ts";

export interface CognitoProviderOptions {
  client: CognitoIdentityProviderClient;
  clientId: string;
  clientSecret?: string | undefined;
  refreshApi: RefreshApi;
  /** Bounds the whole call, retries included. */
  timeoutMs: number;
  /** Told about every call once it settles (logs and metrics, wired in app.ts). */
  onCall?: ((call: ProviderCall) => void) | undefined;
}

/** One call to Cognito as this adapter saw it: names, numbers, never a token. */
export interface ProviderCall {
  operation: "GetTokensFromRefreshToken" | "InitiateAuth";
  outcome: "success" | RefreshErrorKind;
  durationMs: number;
  /** The SDK's `$metadata.attempts`: 1 plus its retries; unknown if it never said. */
  attempts: number | undefined;
}

function attemptsOf(value: unknown): number | undefined {
  const attempts = (value as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata
    ?.attempts;
  return typeof attempts === "number" ? attempts : undefined;
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

/**
 * A signal that aborts when the caller's does or when `timeoutMs` has passed, with the same
 * reasons AbortSignal.any([signal, AbortSignal.timeout(ms)]) would give. Built by hand: that
 * pair costs two more signals and weak references per refresh, and its timer cannot be
 * cleared, so every call's signals stay alive for the whole timeout after it answered.
 */
function deadline(
  timeoutMs: number,
  signal: AbortSignal | undefined,
): { abortSignal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  if (signal?.aborted) {
    controller.abort(signal.reason);
    return { abortSignal: controller.signal, release: () => undefined };
  }
  // Follows the caller's signal for as long as that lives, as AbortSignal.any does.
  signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  const timer = setTimeout(() => {
    controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
  }, timeoutMs);
  // Like AbortSignal.timeout's: a pending call does not by itself keep the process alive.
  timer.unref();
  return { abortSignal: controller.signal, release: () => clearTimeout(timer) };
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
  return {
    async refresh(refreshToken, signal) {
      const { abortSignal, release } = deadline(timeoutMs, signal);
      const started = performance.now();
      const report = (outcome: ProviderCall["outcome"], attempts: number | undefined) =>
        onCall?.({ operation, outcome, durationMs: performance.now() - started, attempts });
      let attempts: number | undefined;
      try {
        const output = await call(refreshToken, abortSignal);
        attempts = attemptsOf(output);
        const tokens = toTokens(output.AuthenticationResult);
        report("success", attempts);
        return tokens;
      } catch (reason) {
        const error = classifyCognitoError(reason);
        report(error.kind, attempts ?? attemptsOf(reason));
        throw error;
      } finally {
        release();
      }
    },
  };
}
