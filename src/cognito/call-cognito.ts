import type { RefreshErrorKind } from "../refresh/refresh-error.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { classifyCognitoError } from "./classify-cognito-error.ts";
import { deadline } from "./deadline.ts";

/** One call to Cognito as this adapter saw it: names, numbers, never a token. */
export interface ProviderCall {
  operation: "GetTokensFromRefreshToken" | "InitiateAuth" | "RevokeToken";
  outcome: "success" | RefreshErrorKind;
  durationMs: number;
  /** The SDK's `$metadata.attempts`: 1 plus its retries; unknown if it never said. */
  attempts: number | undefined;
}

export interface CallOptions {
  operation: ProviderCall["operation"];
  /** Bounds the whole call, retries included. */
  timeoutMs: number;
  /** Told about every call once it settles (logs and metrics, wired in app.ts). */
  onCall?: ((call: ProviderCall) => void) | undefined;
  /** Turns what the SDK threw into the closed set; the shared table by default. */
  classify?: (reason: unknown) => RefreshError;
}

function attemptsOf(value: unknown): number | undefined {
  const attempts = (value as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata
    ?.attempts;
  return typeof attempts === "number" ? attempts : undefined;
}

/**
 * Sends one command under the call's deadline, reads its output, and reports the call:
 * every Cognito operation fails, times out and is counted the same way.
 */
export async function callCognito<Output, Result>(
  options: CallOptions,
  signal: AbortSignal | undefined,
  send: (abortSignal: AbortSignal) => Promise<Output>,
  read: (output: Output) => Result,
): Promise<Result> {
  const { operation, onCall, classify = classifyCognitoError } = options;
  const { abortSignal, release } = deadline(options.timeoutMs, signal);
  const started = performance.now();
  const report = (outcome: ProviderCall["outcome"], attempts: number | undefined) =>
    onCall?.({ operation, outcome, durationMs: performance.now() - started, attempts });
  let attempts: number | undefined;
  try {
    const output = await send(abortSignal);
    attempts = attemptsOf(output);
    const result = read(output);
    report("success", attempts);
    return result;
  } catch (reason) {
    const error = reason instanceof RefreshError ? reason : classify(reason);
    report(error.kind, attempts ?? attemptsOf(reason));
    throw error;
  } finally {
    release();
  }
}
