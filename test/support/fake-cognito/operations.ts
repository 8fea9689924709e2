/**
 * The refresh operations as Cognito performs them (validate the request, check the app
 * client and its secret, check the token and its user, then issue signed tokens), and
 * RevokeToken, which ends a refresh token.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { issueJwts, type SigningKey } from "./signing.ts";
import type { CognitoErrorReply } from "./steps.ts";
import { DEFAULT_USERNAME, type RefreshTokenRecord, type UserStore } from "./users.ts";

export const OPERATIONS = ["GetTokensFromRefreshToken", "InitiateAuth", "RevokeToken"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface FakeClient {
  clientId: string;
  /** null: the app client has no secret. */
  clientSecret: string | null;
  issuer: string;
  expiresIn: number;
  rotate: boolean;
  reuseGraceMs: number;
}

export interface OperationContext {
  client: FakeClient;
  users: UserStore;
  key: () => SigningKey;
}

export type Outcome = { output: Record<string, unknown> } | { error: CognitoErrorReply };

type Input = Record<string, unknown>;

function invalidParameter(message: string): { error: CognitoErrorReply } {
  return { error: { name: "InvalidParameterException", message, status: 400 } };
}

function notAuthorized(message: string): { error: CognitoErrorReply } {
  return { error: { name: "NotAuthorizedException", message, status: 400 } };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function checkClientId(client: FakeClient, clientId: unknown): { error: CognitoErrorReply } | null {
  if (typeof clientId !== "string" || clientId === "") {
    return invalidParameter("1 validation error detected: Value null at 'clientId' failed");
  }
  if (clientId !== client.clientId) {
    const message = `User pool client ${clientId} does not exist.`;
    return { error: { name: "ResourceNotFoundException", message, status: 400 } };
  }
  return null;
}

/** Tokens for the token's user (the default user when the fake never issued it). */
export function succeed(
  context: OperationContext,
  token: string,
  rotate: boolean,
  output: Input = {},
): Outcome {
  const { client, users } = context;
  const record: RefreshTokenRecord | undefined = users.token(token);
  const user = users.get(record?.username ?? DEFAULT_USERNAME) ?? users.upsert();
  const { accessToken, idToken } = issueJwts(user, {
    key: context.key(),
    issuer: client.issuer,
    clientId: client.clientId,
    expiresIn: client.expiresIn,
    authTime: record?.authTime ?? Math.floor(Date.now() / 1000),
    originJti: record?.originJti ?? "",
  });
  let refreshToken: string | undefined;
  if (rotate) {
    refreshToken = users.issue(user.username, record);
    if (record) {
      users.setTokenState(token, "rotated");
    }
  }
  const result = {
    AccessToken: accessToken,
    ExpiresIn: client.expiresIn,
    TokenType: "Bearer",
    IdToken: idToken,
    ...(refreshToken ? { RefreshToken: refreshToken } : {}),
  };
  return { output: { ...output, AuthenticationResult: result } };
}

function checkToken(context: OperationContext, token: string): { error: CognitoErrorReply } | null {
  const checked = context.users.check(token, context.client.reuseGraceMs);
  return "name" in checked ? { error: checked } : null;
}

export function getTokensFromRefreshToken(context: OperationContext, input: Input): Outcome {
  const { client } = context;
  const { RefreshToken: token, ClientSecret: secret } = input;
  const clientError = checkClientId(client, input.ClientId);
  if (clientError) {
    return clientError;
  }
  if (typeof token !== "string" || token === "") {
    return invalidParameter("1 validation error detected: Value null at 'refreshToken' failed");
  }
  return (
    checkSecret(client, secret) ??
    checkToken(context, token) ??
    succeed(context, token, client.rotate)
  );
}

/** GetTokensFromRefreshToken and RevokeToken take the app client's secret as it is. */
function checkSecret(client: FakeClient, secret: unknown): { error: CognitoErrorReply } | null {
  if (client.clientSecret === null && secret !== undefined) {
    return notAuthorized(`Client ${client.clientId} is not configured with secret`);
  }
  if (client.clientSecret !== null) {
    if (typeof secret !== "string" || secret === "") {
      return notAuthorized(`Client ${client.clientId} is configured with secret but none was sent`);
    }
    if (!sameText(secret, client.clientSecret)) {
      return notAuthorized(`Unable to verify secret hash for client ${client.clientId}`);
    }
  }
  return null;
}

/**
 * Ends a refresh token: from then on it is refused as revoked. Revoking it again succeeds; a
 * token the pool never issued is refused, as cognito-local refuses it.
 */
export function revokeToken(context: OperationContext, input: Input): Outcome {
  const { client, users } = context;
  const { Token: token, ClientSecret: secret } = input;
  const clientError = checkClientId(client, input.ClientId);
  if (clientError) {
    return clientError;
  }
  if (typeof token !== "string" || token === "") {
    return invalidParameter("1 validation error detected: Value null at 'token' failed");
  }
  const secretError = checkSecret(client, secret);
  if (secretError) {
    return secretError;
  }
  if (!users.token(token)) {
    return notAuthorized("Invalid token");
  }
  users.setTokenState(token, "revoked");
  return { output: {} };
}

function secretHash(secret: string, username: string, clientId: string): string {
  return createHmac("sha256", secret).update(`${username}${clientId}`).digest("base64");
}

export function initiateAuth(context: OperationContext, input: Input): Outcome {
  const { client, users } = context;
  const clientError = checkClientId(client, input.ClientId);
  if (clientError) {
    return clientError;
  }
  if (input.AuthFlow !== "REFRESH_TOKEN_AUTH" && input.AuthFlow !== "REFRESH_TOKEN") {
    return invalidParameter(`The fake supports only REFRESH_TOKEN_AUTH, got ${input.AuthFlow}`);
  }
  const params = (input.AuthParameters ?? {}) as Record<string, unknown>;
  const token = params.REFRESH_TOKEN;
  if (typeof token !== "string" || token === "") {
    return invalidParameter("Missing required parameter REFRESH_TOKEN");
  }
  const tokenError = checkToken(context, token);
  if (tokenError) {
    return tokenError;
  }
  if (client.clientSecret !== null) {
    // Cognito accepts the hash of either the username or the sub for a refresh.
    const user = users.get(users.token(token)?.username ?? "");
    const given = params.SECRET_HASH;
    if (typeof given !== "string") {
      return notAuthorized(
        `Client ${client.clientId} is configured with secret but SECRET_HASH was not received`,
      );
    }
    const names = user ? [user.username, user.sub] : [];
    if (
      !names.some((name) =>
        sameText(given, secretHash(client.clientSecret ?? "", name, client.clientId)),
      )
    ) {
      return notAuthorized(`Unable to verify secret hash for client ${client.clientId}`);
    }
  }
  // REFRESH_TOKEN_AUTH never rotates: rotation is GetTokensFromRefreshToken's job.
  return succeed(context, token, false, { ChallengeParameters: {} });
}
