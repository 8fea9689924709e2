import { RefreshError, type RefreshErrorKind } from "../refresh/refresh-error.ts";

/**
 * Cognito error names -> the closed kinds. Names decide; the message is read
 * only for NotAuthorizedException, which Cognito uses both for bad tokens and
 * for disabled users and secret mismatches, with nothing else to tell them apart.
 */
const BY_NAME: ReadonlyMap<string, RefreshErrorKind> = new Map(
  Object.entries({
    RefreshTokenReuseException: "unauthorized",
    UserNotFoundException: "unauthorized",
    ExpiredCodeException: "unauthorized",
    UserNotConfirmedException: "forbidden",
    PasswordResetRequiredException: "forbidden",
    TooManyRequestsException: "unavailable",
    LimitExceededException: "unavailable",
    InternalErrorException: "unavailable",
    ServiceUnavailableException: "unavailable",
    // WAF blocking our calls: nothing the customer did, and retrying later may pass.
    ForbiddenException: "unavailable",
    TimeoutError: "unavailable",
    AbortError: "unavailable",
    RequestTimeout: "unavailable",
    ResourceNotFoundException: "internal",
    InvalidParameterException: "internal",
    InvalidUserPoolConfigurationException: "internal",
    UnexpectedLambdaException: "internal",
    UserLambdaValidationException: "internal",
    InvalidLambdaResponseException: "internal",
    InvalidSmsRoleAccessPolicyException: "internal",
    InvalidSmsRoleTrustRelationshipException: "internal",
    UnsupportedOperationException: "internal",
  } satisfies Record<string, RefreshErrorKind>),
);

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
]);

export const UPSTREAM_RETRY_AFTER_SECONDS = 1;

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  // Set by the SDK when the response could not even be deserialised (an HTML page).
  $response?: { statusCode?: unknown };
}

function kindOfNotAuthorized(message: string): RefreshErrorKind {
  if (/user is disabled/i.test(message)) {
    return "forbidden";
  }
  // The app client's secret is wrong or missing: our configuration, not the customer.
  if (/secret hash|configured (with|for) secret|client secret/i.test(message)) {
    return "internal";
  }
  return "unauthorized";
}

export function classifyCognitoError(reason: unknown): RefreshError {
  if (reason instanceof RefreshError) {
    return reason;
  }
  const error = (typeof reason === "object" && reason !== null ? reason : {}) as ErrorShape;
  const name = typeof error.name === "string" ? error.name : "";
  const message = typeof error.message === "string" ? error.message : "";
  const rawStatus = error.$metadata?.httpStatusCode ?? error.$response?.statusCode;
  const status = typeof rawStatus === "number" ? rawStatus : 0;
  let kind: RefreshErrorKind | undefined =
    name === "NotAuthorizedException" ? kindOfNotAuthorized(message) : BY_NAME.get(name);
  if (kind === undefined) {
    const code = typeof error.code === "string" ? error.code : "";
    // 429 without a Cognito name: a gateway or WAF in front of Cognito throttling us.
    // A body the SDK could not parse (it keeps the response's metadata): a broken reply.
    const garbled = name === "SyntaxError" && (error.$metadata ?? error.$response) !== undefined;
    if (NETWORK_CODES.has(code) || status === 429 || status >= 500 || garbled) {
      kind = "unavailable";
    } else if (error.$fault === "server") {
      kind = "unavailable";
    } else {
      kind = "internal";
    }
  }
  return new RefreshError(kind, {
    cause: reason,
    retryAfterSeconds: kind === "unavailable" ? UPSTREAM_RETRY_AFTER_SECONDS : undefined,
  });
}
