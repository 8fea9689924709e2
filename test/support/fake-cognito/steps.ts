/**
 * The script vocabulary of the fake: what one refresh call (or one JWKS fetch) does instead of
 * the normal behaviour. Error names, messages and statuses are the ones Cognito puts on the wire.
 */

export interface CognitoErrorReply {
  /** The exception name, sent in `__type` and `x-amzn-errortype`. */
  name: string;
  message: string;
  /** Cognito answers its client faults with 400 whatever the model's httpError says. */
  status: number;
}

/** The named errors a step can produce, with the exact text Cognito uses. */
export const FAKE_ERRORS = {
  reuse: {
    name: "RefreshTokenReuseException",
    message: "Refresh token has been reused",
    status: 400,
  },
  invalid: { name: "NotAuthorizedException", message: "Invalid Refresh Token", status: 400 },
  expired: { name: "NotAuthorizedException", message: "Refresh Token has expired", status: 400 },
  revoked: {
    name: "NotAuthorizedException",
    message: "Refresh Token has been revoked",
    status: 400,
  },
  disabled: { name: "NotAuthorizedException", message: "User is disabled.", status: 400 },
  "user-not-found": { name: "UserNotFoundException", message: "User does not exist.", status: 400 },
  "password-reset": {
    name: "PasswordResetRequiredException",
    message: "Password reset required for the user",
    status: 400,
  },
  unconfirmed: {
    name: "UserNotConfirmedException",
    message: "User is not confirmed.",
    status: 400,
  },
  throttle: { name: "TooManyRequestsException", message: "Rate exceeded", status: 400 },
  "internal-error": {
    name: "InternalErrorException",
    message: "An internal error occurred.",
    status: 500,
  },
  "revocation-disabled": {
    name: "UnsupportedOperationException",
    message: "Token revocation is not enabled for this app client.",
    status: 400,
  },
  "resource-not-found": {
    name: "ResourceNotFoundException",
    message: "User pool client does not exist.",
    status: 400,
  },
} as const satisfies Record<string, CognitoErrorReply>;

export type ErrorStepName = keyof typeof FAKE_ERRORS;

/**
 * One scripted refresh call:
 * - "normal": what the fake does unscripted (checks client, secret, token and user state)
 * - "rotate" / "no-rotate": succeed whatever the token, with or without a new refresh token
 * - an ErrorStepName: that Cognito error (see FAKE_ERRORS)
 * - "html-503": a load balancer's HTML error page; `{ html: status }` for another status
 * - "malformed-json": 200 with a truncated JSON body
 * - "reset": read the request, then destroy the socket without answering
 * - "hang": never answer; the socket is held until reset() or close()
 * - `{ delayMs, then }`: wait, then do `then` ("normal" when omitted)
 * - `{ error, message, status }`: any other Cognito error
 */
export type Step =
  | "normal"
  | "rotate"
  | "no-rotate"
  | ErrorStepName
  | "html-503"
  | "malformed-json"
  | "reset"
  | "hang"
  | { html: number }
  | { delayMs: number; then?: Step }
  | { error: string; message?: string; status?: number };

/** One scripted JWKS fetch: "500" answers an error page, "reset" and "hang" as for Step. */
export type JwksStep = "normal" | "500" | "reset" | "hang" | { delayMs: number; then?: JwksStep };

/** A FIFO of scripted steps, one per call, then an optional standing step, then normal. */
export class Plan<T> {
  #queue: T[] = [];
  #always: T | undefined;

  push(steps: readonly T[]): void {
    this.#queue.push(...steps);
  }

  setAlways(step: T | undefined): void {
    this.#always = step;
  }

  next(): T | undefined {
    return this.#queue.shift() ?? this.#always;
  }

  pending(): number {
    return this.#queue.length;
  }

  clear(): void {
    this.#queue = [];
    this.#always = undefined;
  }
}

/** The reply for an error step, or undefined when the step is not an error. */
export function errorOf(step: Step): CognitoErrorReply | undefined {
  if (typeof step === "string") {
    return Object.hasOwn(FAKE_ERRORS, step) ? FAKE_ERRORS[step as ErrorStepName] : undefined;
  }
  if ("error" in step) {
    return { name: step.error, message: step.message ?? step.error, status: step.status ?? 400 };
  }
  return undefined;
}
