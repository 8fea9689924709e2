/**
 * RS256 keys and JWTs for the fake: the tokens it issues are real, so the service's verifier
 * (aws-jwt-verify against the served JWKS) checks them exactly as it checks Cognito's.
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from "node:crypto";

export interface PublicJwk {
  kid: string;
  alg: "RS256";
  kty: string;
  e: string;
  n: string;
  use: "sig";
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: PublicJwk;
}

export function createSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const { kty, e, n } = publicKey.export({ format: "jwk" });
  if (!kty || !e || !n) {
    throw new Error("node:crypto exported an incomplete RSA JWK");
  }
  // Cognito's kids are base64 key hashes; any unique string serves the verifier.
  const kid = randomUUID();
  return { kid, privateKey, jwk: { kid, alg: "RS256", kty, e, n, use: "sig" } };
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

export function signJwt(key: SigningKey, claims: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ kid: key.kid, alg: "RS256" }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), key.privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}

export interface TokenSubject {
  username: string;
  sub: string;
  email: string;
  givenName: string;
  familyName: string;
  customId: string;
  groups: readonly string[];
}

export interface TokenContext {
  key: SigningKey;
  issuer: string;
  clientId: string;
  expiresIn: number;
  /** When the user signed in; refreshes keep it, as Cognito does. */
  authTime: number;
  /** The jti of the sign-in the refresh token came from. */
  originJti: string;
}

/** The access and id tokens Cognito issues on a refresh, with its claim names. */
export function issueJwts(
  subject: TokenSubject,
  context: TokenContext,
): { accessToken: string; idToken: string } {
  const iat = Math.floor(Date.now() / 1000);
  const common = {
    sub: subject.sub,
    iss: context.issuer,
    origin_jti: context.originJti,
    event_id: randomUUID(),
    auth_time: context.authTime,
    iat,
    exp: iat + context.expiresIn,
    jti: randomUUID(),
    ...(subject.groups.length > 0 ? { "cognito:groups": [...subject.groups] } : {}),
  };
  const accessToken = signJwt(context.key, {
    ...common,
    client_id: context.clientId,
    token_use: "access",
    scope: "aws.cognito.signin.user.admin",
    username: subject.username,
  });
  const idToken = signJwt(context.key, {
    ...common,
    aud: context.clientId,
    token_use: "id",
    email: subject.email,
    email_verified: true,
    given_name: subject.givenName,
    family_name: subject.familyName,
    "custom:id": subject.customId,
    "cognito:username": subject.username,
  });
  return { accessToken, idToken };
}
