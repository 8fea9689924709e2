import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import type { CognitoConfig } from "../config.ts";

export interface CognitoClientOptions {
  /** Per attempt: a hung attempt is cut and retried; the provider bounds the whole call. */
  requestTimeoutMs: number;
}

/**
 * The SDK client the provider adapter talks through. Connections are kept
 * alive so a refresh costs one round trip, not a TCP and TLS handshake too.
 * The refresh calls are unauthenticated (smithy noAuth), so no AWS credentials
 * are needed or looked up.
 */
export function createCognitoClient(
  config: CognitoConfig,
  options: CognitoClientOptions,
): CognitoIdentityProviderClient {
  const agentOptions = { keepAlive: true, maxSockets: 256, scheduling: "lifo" as const };
  return new CognitoIdentityProviderClient({
    region: config.region,
    endpoint: config.endpoint,
    maxAttempts: 3,
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: Math.min(options.requestTimeoutMs, 3000),
      requestTimeout: options.requestTimeoutMs,
      // Without it the SDK only warns when an attempt hangs past requestTimeout.
      throwOnRequestTimeout: true,
    },
  });
}
