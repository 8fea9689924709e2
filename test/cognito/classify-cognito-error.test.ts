import {
  CognitoIdentityProviderServiceException,
  ExpiredCodeException,
  ForbiddenException,
  GetTokensFromRefreshTokenCommand,
  InternalErrorException,
  InvalidLambdaResponseException,
  InvalidParameterException,
  InvalidSmsRoleAccessPolicyException,
  InvalidSmsRoleTrustRelationshipException,
  InvalidUserPoolConfigurationException,
  LimitExceededException,
  NotAuthorizedException,
  PasswordResetRequiredException,
  RefreshTokenReuseException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UnexpectedLambdaException,
  UnsupportedOperationException,
  UserLambdaValidationException,
  UserNotConfirmedException,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { connectError, restError } from "../../src/wire/error-table.ts";
import { failureOf, mockedClient, TOKEN } from "./cognito-fixture.ts";

type Expected = "unauthorized" | "forbidden" | "unavailable" | "internal";
const ROWS: Record<Expected, { status: number; code: Code; body: string; retryAfter?: string }> = {
  unauthorized: {
    status: 401,
    code: Code.Unauthenticated,
    body: '{"message":"Unauthorized","errorCode":"ERR_UNAUTHORIZED"}',
  },
  forbidden: {
    status: 403,
    code: Code.PermissionDenied,
    body: '{"message":"Forbidden","errorCode":"ERR_FORBIDDEN"}',
  },
  unavailable: {
    status: 503,
    code: Code.Unavailable,
    body: '{"message":"Service Unavailable","errorCode":"ERR_SERVICE_UNAVAILABLE"}',
    retryAfter: "1",
  },
  internal: {
    status: 500,
    code: Code.Internal,
    body: '{"message":"Internal Server Error","errorCode":"ERR_INTERNAL_SERVER"}',
  },
};

type ExceptionClass = new (options: { message: string; $metadata: object }) => Error;
const sdk = (Exception: ExceptionClass, message: string) => () =>
  new Exception({ message, $metadata: { httpStatusCode: 400 } });
const named =
  (name: string, message: string, extra: object = {}) =>
  () =>
    Object.assign(new Error(message), { name }, extra);
const generic = (name: string, $fault: "client" | "server", httpStatusCode?: number) => () =>
  new CognitoIdentityProviderServiceException({
    name,
    $fault,
    $metadata: { httpStatusCode },
    message: `upstream said ${name} for us-east-1_AbC123`,
  });
const detail = (name: string) => `${name}: upstream detail for pool us-east-1_AbC123`;

const notAuthorized = (message: string) => sdk(NotAuthorizedException, message);

const CASES: [string, () => Error, Expected][] = [
  ["NotAuthorized: invalid token", notAuthorized("Invalid Refresh Token"), "unauthorized"],
  ["NotAuthorized: revoked", notAuthorized("Refresh Token has been revoked"), "unauthorized"],
  ["NotAuthorized: expired", notAuthorized("Refresh Token has expired"), "unauthorized"],
  ["NotAuthorized: user disabled", notAuthorized("User is disabled."), "forbidden"],
  [
    "NotAuthorized: secret hash",
    notAuthorized("Unable to verify secret hash for client xyz"),
    "internal",
  ],
  [
    "NotAuthorized: secret not received",
    notAuthorized("Client xyz is configured for secret but secret was not received"),
    "internal",
  ],
  ["RefreshTokenReuse", sdk(RefreshTokenReuseException, detail("reuse")), "unauthorized"],
  ["UserNotFound", sdk(UserNotFoundException, detail("no user")), "unauthorized"],
  ["ExpiredCode", sdk(ExpiredCodeException, detail("expired")), "unauthorized"],
  ["UserNotConfirmed", sdk(UserNotConfirmedException, detail("unconfirmed")), "forbidden"],
  ["PasswordResetRequired", sdk(PasswordResetRequiredException, detail("reset")), "forbidden"],
  ["TooManyRequests", sdk(TooManyRequestsException, detail("Rate exceeded")), "unavailable"],
  ["LimitExceeded", sdk(LimitExceededException, detail("limit")), "unavailable"],
  ["InternalError", sdk(InternalErrorException, detail("internal")), "unavailable"],
  ["Forbidden (WAF)", sdk(ForbiddenException, detail("waf")), "unavailable"],
  ["ServiceUnavailable", generic("ServiceUnavailableException", "server", 503), "unavailable"],
  ["ResourceNotFound", sdk(ResourceNotFoundException, detail("no pool")), "internal"],
  ["InvalidParameter", sdk(InvalidParameterException, detail("param")), "internal"],
  ["InvalidUserPoolConfig", sdk(InvalidUserPoolConfigurationException, detail("c")), "internal"],
  ["UnexpectedLambda", sdk(UnexpectedLambdaException, detail("lambda")), "internal"],
  ["UserLambdaValidation", sdk(UserLambdaValidationException, detail("lambda")), "internal"],
  ["InvalidLambdaResponse", sdk(InvalidLambdaResponseException, detail("lambda")), "internal"],
  ["InvalidSmsRoleAccess", sdk(InvalidSmsRoleAccessPolicyException, detail("sms")), "internal"],
  ["InvalidSmsRoleTrust", sdk(InvalidSmsRoleTrustRelationshipException, detail("sms")), "internal"],
  ["UnsupportedOperation", sdk(UnsupportedOperationException, detail("op")), "internal"],
  ...["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN"]
    .concat(["EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET"])
    .map((code): [string, () => Error, Expected] => [
      `network ${code}`,
      named("Error", `${code} 10.1.2.3:443 cognito-idp.us-east-1.amazonaws.com`, { code }),
      "unavailable",
    ]),
  ["TimeoutError", named("TimeoutError", "Connection timed out after 1000 ms"), "unavailable"],
  ["AbortError", named("AbortError", "Request aborted at 10.1.2.3"), "unavailable"],
  ["RequestTimeout", named("RequestTimeout", "request timed out at 10.1.2.3"), "unavailable"],
  ["generic 5xx", generic("BadGatewayUpstream", "server", 502), "unavailable"],
  ["server fault without a status", generic("SomethingBroke", "server"), "unavailable"],
  ["unknown client error", generic("BrandNewException", "client", 400), "internal"],
  [
    "a bug (TypeError)",
    named("TypeError", "Cannot read properties of undefined (reading 'x')"),
    "internal",
  ],
];

describe("Cognito errors through the provider and the error table", () => {
  const titled = CASES.map(([label, make, kind]) => [`${label} is ${kind}`, make, kind] as const);
  it.each(titled)("%s", async (_, makeError, kind) => {
    const { cognito, provider } = mockedClient();
    const upstream = makeError();
    cognito.on(GetTokensFromRefreshTokenCommand).rejects(upstream);
    const failure = await failureOf(provider.refresh(TOKEN));
    expect(failure.kind).toBe(kind);
    expect(failure.cause).toBe(upstream);

    const row = ROWS[kind];
    const rest = restError(failure);
    expect(rest.status).toBe(row.status);
    expect(rest.body).toBe(row.body);
    expect(rest.headers).toEqual(row.retryAfter ? { "retry-after": row.retryAfter } : {});
    const rpc = connectError(failure);
    expect(rpc.code).toBe(row.code);
    expect(rpc.metadata.get("retry-after")).toBe(row.retryAfter ?? null);

    expect(upstream.message.length).toBeGreaterThan(0);
    for (const text of [rest.body, rpc.message, rpc.rawMessage]) {
      expect(text).not.toContain(upstream.message);
      expect(text).not.toContain("us-east-1_AbC123");
    }
  });

  // The SDK takes the name verbatim from the x-amzn-errortype header of an
  // unexpected response: a name that is also an Object.prototype member must not
  // be mistaken for a known one.
  it.each(["toString", "constructor"])(
    "maps an unknown error named %j to internal",
    async (name) => {
      const { cognito, provider } = mockedClient();
      cognito.on(GetTokensFromRefreshTokenCommand).rejects(generic(name, "client", 400)());
      const failure = await failureOf(provider.refresh(TOKEN));
      expect(failure.kind).toBe("internal");
      expect(restError(failure).status).toBe(500);
    },
  );
});
