import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";
import { FetchError, JwksNotAvailableInCacheError } from "aws-jwt-verify/error";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import type { CognitoConfig } from "../config.ts";
import type { ProviderTokens, TokenVerifier, VerifiedTokens } from "../refresh/ports.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { UPSTREAM_RETRY_AFTER_SECONDS } from "./classify-cognito-error.ts";
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

function claimCheck(claim: string, expected: string) {
  return ({ payload }: { payload: Payload }) => {
    if (payload[claim] !== expected) {
      throw new Error(`${claim} is not ${expected}`);
    }
  };
}

function verifiers(config: CognitoConfig): { access: Verify; id: Verify } {
  const { userPoolId, clientId, endpoint, issuer, jwksUri } = config;
  if (!endpoint) {
    // The real service: CognitoJwtVerifier knows both of Cognito's issuer formats.
    const jwksCache = new SimpleJwksCache();
    return {
      access: CognitoJwtVerifier.create(
        { userPoolId, clientId, tokenUse: "access" },
        { jwksCache },
      ),
      id: CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: "id" }, { jwksCache }),
    };
  }
  const jwksCache = new SimpleJwksCache({ fetcher: new HttpJwksFetcher() });
  const access = JwtVerifier.create(
    {
      issuer,
      jwksUri,
      audience: null,
      customJwtCheck: (props) => {
        claimCheck("token_use", "access")(props);
        claimCheck("client_id", clientId)(props);
      },
    },
    { jwksCache },
  );
  const id = JwtVerifier.create(
    { issuer, jwksUri, audience: clientId, customJwtCheck: claimCheck("token_use", "id") },
    { jwksCache },
  );
  return { access, id };
}

function classify(reason: unknown): RefreshError {
  // Keys we cannot fetch are an upstream outage; anything else means the
  // provider handed us tokens for another pool or client: misconfiguration.
  if (reason instanceof FetchError || reason instanceof JwksNotAvailableInCacheError) {
    return new RefreshError("unavailable", {
      cause: reason,
      retryAfterSeconds: UPSTREAM_RETRY_AFTER_SECONDS,
    });
  }
  return new RefreshError("internal", { cause: reason });
}

/** Verifies signature, issuer, client and token_use of both returned tokens. */
export function createTokenVerifier(config: CognitoConfig): CognitoTokenVerifier {
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
        const exp = typeof accessClaims.exp === "number" ? accessClaims.exp : 0;
        const groups = idClaims["cognito:groups"] ?? accessClaims["cognito:groups"];
        return { accessTokenExp: exp, claims: { ...idClaims, "cognito:groups": groups } };
      } catch (reason) {
        throw classify(reason);
      }
    },
  };
}
