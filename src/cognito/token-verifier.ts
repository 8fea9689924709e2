import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwksNotAvailableInCacheError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  KidNotFoundInJwksError,
} from "aws-jwt-verify/error";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import type { ProviderTokens, TokenVerifier, VerifiedTokens } from "../refresh/ports.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { UPSTREAM_RETRY_AFTER_SECONDS } from "./classify-cognito-error.ts";
import type { CognitoSettings } from "./cognito-settings.ts";
import { HttpJwksFetcher } from "./jwks-fetcher.ts";

type Payload = Record<string, unknown>;
interface Verify {
  verify(token: string): Promise<Payload>;
  hydrate(): Promise<void>;
}

export interface CognitoTokenVerifier extends TokenVerifier {
  /** Fetches the JWKS; start-up awaits it before reporting ready. */
  hydrate(): Promise<void>;
}

/** Why a token was refused, as a class: logged, never the token or the library's message. */
export type VerificationFailure =
  | "issuer"
  | "audience/client"
  | "token_use"
  | "signature"
  | "expired"
  | "malformed"
  | "pair";

/** A check of ours that failed, with its class. */
class ClaimMismatch extends Error {
  override readonly name = "ClaimMismatch";
  readonly failure: VerificationFailure;
  constructor(failure: VerificationFailure) {
    super(`${failure} does not match`);
    this.failure = failure;
  }
}

function claimCheck(claim: string, expected: string, failure: VerificationFailure) {
  return ({ payload }: { payload: Payload }) => {
    if (payload[claim] !== expected) throw new ClaimMismatch(failure);
  };
}

function isCanonical(config: CognitoSettings): boolean {
  const canonical = `https://cognito-idp.${config.region}.amazonaws.com/${config.userPoolId}`;
  return config.issuer === canonical && config.jwksUri === `${canonical}/.well-known/jwks.json`;
}

function verifiers(config: CognitoSettings): { access: Verify; id: Verify } {
  const { userPoolId, clientId, issuer, jwksUri } = config;
  if (isCanonical(config)) {
    // Cognito itself: aws-jwt-verify's own Cognito verifier and https fetcher.
    const jwksCache = new SimpleJwksCache();
    return {
      access: CognitoJwtVerifier.create(
        { userPoolId, clientId, tokenUse: "access" },
        { jwksCache },
      ),
      id: CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: "id" }, { jwksCache }),
    };
  }
  // An issuer or a JWKS location of its own (an emulator, a proxy): the same checks, spelled out.
  const jwksCache = new SimpleJwksCache({ fetcher: new HttpJwksFetcher() });
  const access = JwtVerifier.create(
    {
      issuer,
      jwksUri,
      audience: null,
      customJwtCheck: (props) => {
        claimCheck("token_use", "access", "token_use")(props);
        claimCheck("client_id", clientId, "audience/client")(props);
      },
    },
    { jwksCache },
  );
  const id = JwtVerifier.create(
    {
      issuer,
      jwksUri,
      audience: clientId,
      customJwtCheck: claimCheck("token_use", "id", "token_use"),
    },
    { jwksCache },
  );
  return { access, id };
}

function failureOf(reason: unknown): VerificationFailure {
  if (reason instanceof ClaimMismatch) return reason.failure;
  if (reason instanceof JwtInvalidIssuerError) return "issuer";
  if (reason instanceof JwtInvalidAudienceError) return "audience/client";
  if (reason instanceof CognitoJwtInvalidClientIdError) return "audience/client";
  if (reason instanceof CognitoJwtInvalidTokenUseError) return "token_use";
  if (reason instanceof JwtExpiredError || reason instanceof JwtNotBeforeError) return "expired";
  if (
    reason instanceof JwtInvalidSignatureError ||
    reason instanceof JwtInvalidSignatureAlgorithmError ||
    reason instanceof KidNotFoundInJwksError
  ) {
    return "signature";
  }
  return "malformed";
}

function classify(reason: unknown): RefreshError {
  // Keys we cannot fetch are an upstream outage; anything else means the provider handed us
  // tokens we must not pass on: for another pool or client, or broken. Our configuration or
  // the provider's fault, never the customer's.
  if (reason instanceof FetchError || reason instanceof JwksNotAvailableInCacheError) {
    return new RefreshError("unavailable", {
      cause: reason,
      retryAfterSeconds: UPSTREAM_RETRY_AFTER_SECONDS,
      reason: "signing keys unreachable",
    });
  }
  const reasonText = `token verification failed: ${failureOf(reason)}`;
  return new RefreshError("internal", { cause: reason, reason: reasonText });
}

/**
 * The access and id token must describe one identity: the same subject, issued to the same
 * app client. The customer policy reads the id token, so a pair that disagrees is refused.
 */
function checkPair(access: Payload, id: Payload): void {
  if (typeof access.sub !== "string" || access.sub !== id.sub || access.client_id !== id.aud) {
    throw new ClaimMismatch("pair");
  }
}

/** Verifies signature, issuer, client and token_use of both returned tokens, and that they pair. */
export function createTokenVerifier(config: CognitoSettings): CognitoTokenVerifier {
  const { access, id } = verifiers(config);
  return {
    async hydrate() {
      await access.hydrate();
    },
    async verify(tokens: ProviderTokens): Promise<VerifiedTokens> {
      try {
        const [accessClaims, idClaims] = await Promise.all([
          access.verify(tokens.accessToken),
          id.verify(tokens.idToken),
        ]);
        checkPair(accessClaims, idClaims);
        const exp = typeof accessClaims.exp === "number" ? accessClaims.exp : 0;
        const groups = idClaims["cognito:groups"] ?? accessClaims["cognito:groups"];
        return { accessTokenExp: exp, claims: { ...idClaims, "cognito:groups": groups } };
      } catch (reason) {
        throw classify(reason);
      }
    },
  };
}
