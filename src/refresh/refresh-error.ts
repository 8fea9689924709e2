/**
 * The closed set of ways a refresh can fail. Every failure anywhere in the
 * service ends up as exactly one of these; only wire/error-table.ts turns
 * a kind into a status, a code or a body.
 */
export type RefreshErrorKind =
  | "missing_token"
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "payload_too_large"
  | "rate_limited"
  | "unavailable"
  | "internal";

export interface RefreshErrorOptions {
  /** Safe to show a client: only ever set from our own constant strings. */
  publicMessage?: string;
  /** Seconds the client should wait before retrying (rate_limited, unavailable). */
  retryAfterSeconds?: number;
  /** What went wrong underneath; kept for diagnosis, never sent to a client. */
  cause?: unknown;
  /** Why, in our own constant words, for the logs only: never sent to a client. */
  reason?: string;
}

export class RefreshError extends Error {
  override readonly name = "RefreshError";
  readonly kind: RefreshErrorKind;
  readonly publicMessage: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly reason: string | undefined;

  constructor(kind: RefreshErrorKind, options: RefreshErrorOptions = {}) {
    super(options.publicMessage ?? kind, { cause: options.cause });
    this.kind = kind;
    this.publicMessage = options.publicMessage;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.reason = options.reason;
  }

  /**
   * Normalises anything thrown into a RefreshError. Unknown errors become
   * `internal` with the original kept as the cause, so nothing about them can
   * leak into a response.
   */
  static from(reason: unknown): RefreshError {
    if (reason instanceof RefreshError) {
      return reason;
    }
    return new RefreshError("internal", { cause: reason });
  }
}
