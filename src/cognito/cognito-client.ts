import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import {
  CognitoIdentityProviderClient,
  errorTypeRegistries,
} from "@aws-sdk/client-cognito-identity-provider";
import { AwsJson1_1Protocol } from "@aws-sdk/core/protocols";
import { JsonCodec } from "@smithy/core/protocols";
import type { CognitoSettings } from "./cognito-settings.ts";

export interface CognitoClientOptions {
  /** Per attempt: a hung attempt is cut and retried; the provider bounds the whole call. */
  requestTimeoutMs: number;
}

/**
 * Middleware the client adds by default that does nothing for this service, yet costs tens
 * of microseconds on every refresh: a User-Agent string rebuilt per call, a Host header node
 * sets anyway, a log record for a no-op logger, and Lambda's trace-header propagation (this
 * service does not run in Lambda). Retries, serialisation, content length, endpoint and
 * (no-)auth stay.
 */
export const DROPPED_MIDDLEWARE = [
  "getUserAgentMiddleware",
  "hostHeaderMiddleware",
  "loggerMiddleware",
  "recursionDetectionMiddleware",
] as const;

/**
 * The client's own awsJson1_1 protocol, with the SDK's JSON codec that writes through
 * JSON.stringify: the default one copies every string into its buffer one character at a
 * time, which for a 1.8 KB refresh token is a sizeable share of a call's CPU. Same bytes.
 */
function protocol(): AwsJson1_1Protocol {
  return new AwsJson1_1Protocol({
    defaultNamespace: "com.amazonaws.cognitoidentityprovider",
    serviceTarget: "AWSCognitoIdentityProviderService",
    errorTypeRegistries,
    awsQueryCompatible: false,
    jsonCodec: new JsonCodec({ timestampFormat: { useTrait: true, default: 7 }, jsonName: false }),
  });
}

/**
 * The SDK client the provider adapter talks through. Connections are kept
 * alive so a refresh costs one round trip, not a TCP and TLS handshake too.
 * The refresh calls are unauthenticated (smithy noAuth), so no AWS credentials
 * are needed or looked up. The Cognito client has no checksum middleware, so the
 * checksum settings have nothing to turn off.
 */
export function createCognitoClient(
  config: CognitoSettings,
  options: CognitoClientOptions,
): CognitoIdentityProviderClient {
  const agentOptions = { keepAlive: true, maxSockets: 256, scheduling: "lifo" as const };
  const client = new CognitoIdentityProviderClient({
    region: config.region,
    endpoint: config.endpoint,
    maxAttempts: 3,
    protocol: protocol(),
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: Math.min(options.requestTimeoutMs, 3000),
      requestTimeout: options.requestTimeoutMs,
      // Without it the SDK only warns when an attempt hangs past requestTimeout.
      throwOnRequestTimeout: true,
    },
  });
  for (const name of DROPPED_MIDDLEWARE) client.middlewareStack.remove(name);
  return client;
}
