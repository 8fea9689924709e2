/**
 * The work every baseline does per request, built from the service's own adapter factories so
 * that it is the same work the service does: one provider call through the same AWS SDK client
 * (same options) to the same fake, then both returned tokens verified against the fake's JWKS.
 * What the baselines do not do is the service's own: limits, coalescing, policy, CORS, routing.
 */
import type { Tokens } from "./bytes.ts";
import type { Source } from "./source.ts";

export type { Tokens } from "./bytes.ts";

export interface Work {
  /** Loads the JWKS (the service does this before it reports ready). */
  hydrate(): Promise<void>;
  refresh(refreshToken: string): Promise<Tokens>;
  destroy(): void;
}

export function createWork(env: Record<string, string | undefined>, source: Source): Work {
  const { loadConfig, createCognitoClient, createCognitoProvider, createTokenVerifier } = source;
  const config = loadConfig(env);
  const cognito = config.cognito;
  const client = createCognitoClient(cognito, {
    requestTimeoutMs: config.limits.upstreamAttemptTimeoutMs,
  });
  const provider = createCognitoProvider({
    client,
    clientId: cognito.clientId,
    clientSecret: cognito.clientSecret,
    refreshApi: cognito.refreshApi,
    timeoutMs: config.limits.upstreamTimeoutMs,
  });
  const verifier = createTokenVerifier(cognito);
  return {
    hydrate: () => verifier.hydrate(),
    async refresh(refreshToken) {
      const tokens = await provider.refresh(refreshToken);
      await verifier.verify(tokens);
      return {
        accessToken: tokens.accessToken,
        idToken: tokens.idToken,
        expiresIn: tokens.expiresIn ?? 3600,
        tokenType: "Bearer",
      };
    },
    destroy: () => client.destroy(),
  };
}
