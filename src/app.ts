import type { DestinationStream } from "pino";
import { createCognitoClient } from "./cognito/cognito-client.ts";
import { createCognitoProvider } from "./cognito/cognito-provider.ts";
import { createCognitoRevoker } from "./cognito/cognito-revoker.ts";
import { createTokenVerifier } from "./cognito/token-verifier.ts";
import type { Config } from "./config/config.ts";
import { createClientAddressOf } from "./http/client-address.ts";
import { observeRequests } from "./http/observe-requests.ts";
import { createOriginCheck } from "./http/origin-check.ts";
import { createRouter, notFound } from "./http/router.ts";
import type { Handler } from "./http/types.ts";
import { createLogger, type Logger, silentLogger } from "./observability/log.ts";
import { logFailures } from "./observability/log-failures.ts";
import { createMetrics, type Metrics } from "./observability/metrics.ts";
import {
  observeCoalescing,
  observeLimiter,
  replayEvents,
  upstreamRecorder,
} from "./observability/observe-ports.ts";
import { createServingStatus, type ServingStatus } from "./observability/serving-status.ts";
import { createOpsRoutes } from "./ops/ops-routes.ts";
import { coalesce } from "./refresh/coalesce.ts";
import { createCustomerPolicy } from "./refresh/customer-policy.ts";
import type { IdentityProvider, TokenRevoker, TokenVerifier } from "./refresh/ports.ts";
import {
  createRefreshCustomerToken,
  type RefreshCustomerToken,
} from "./refresh/refresh-customer-token.ts";
import { replaying } from "./refresh/replay.ts";
import { createRevokeCustomerToken } from "./refresh/revoke-customer-token.ts";
import { openApiDocument } from "./rest/openapi-document.ts";
import { createRestRoutes } from "./rest/rest-routes.ts";
import { createRpcFace } from "./rpc/rpc-face.ts";
import { createSharedState } from "./shared-state.ts";

/** Collaborators tests may replace; production uses the Cognito defaults. */
export interface AppOverrides {
  provider?: IdentityProvider;
  revoker?: TokenRevoker;
  verifier?: TokenVerifier & { hydrate?(): Promise<void> };
  logger?: Logger;
  /** Where JSON log lines go at config.logLevel, when no logger is given (tests capture). */
  logDestination?: DestinationStream;
  /** More exact-path HTTP routes; the development default adds its demo page. */
  extraRoutes?: ReadonlyMap<string, Handler>;
}

/** The service's parts, wired; server.ts runs them. */
export interface App {
  /** Every route of the public port. */
  handler: Handler;
  refresh: RefreshCustomerToken;
  verifier: TokenVerifier & { hydrate?(): Promise<void> };
  /** Ready once the JWKS is loaded; draining from shutdown on. */
  status: ServingStatus;
  logger: Logger;
  metrics: Metrics;
  /** Lets the upstream calls still running end (a retry may want their answer), then closes. */
  close(): Promise<void>;
}

/** The composition root: the only place that knows every part. It starts nothing. */
export function createApp(config: Config, overrides: AppOverrides = {}): App {
  const destination = overrides.logDestination;
  const logger =
    overrides.logger ??
    (destination ? createLogger({ level: config.logLevel, destination }) : silentLogger);
  const metrics = createMetrics();
  const { cognito, limits } = config;
  const client = createCognitoClient(cognito, {
    requestTimeoutMs: limits.upstreamAttemptTimeoutMs,
  });
  const upstream = {
    client,
    clientId: cognito.clientId,
    clientSecret: cognito.clientSecret,
    timeoutMs: limits.upstreamTimeoutMs,
    onCall: upstreamRecorder(metrics),
  };
  const state = createSharedState(config, logger, metrics);
  const { limiters } = state;
  const cognitoProvider =
    overrides.provider ?? createCognitoProvider({ ...upstream, refreshApi: cognito.refreshApi });
  const replay =
    state.replayStore &&
    replaying(cognitoProvider, {
      store: state.replayStore,
      windowMs: config.replay.windowSeconds * 1000,
      // Past the upstream call's own timeout: a live holder always settles before its claim lapses.
      claimMs: limits.upstreamTimeoutMs + 1000,
      events: replayEvents(metrics),
    });
  const provider = observeCoalescing(replay ?? cognitoProvider, coalesce, metrics);
  const revoker = overrides.revoker ?? createCognitoRevoker(upstream);
  const verifier = overrides.verifier ?? createTokenVerifier(cognito);
  const addressLimiter = observeLimiter(limiters.addressLimiter, "consume", "address", metrics);
  const tokenFailureLimiter = observeLimiter(
    limiters.tokenFailureLimiter,
    "blockedFor",
    "token_failures",
    metrics,
  );
  const policy = createCustomerPolicy(config.policy);
  const refresh = logFailures(
    createRefreshCustomerToken({ provider, verifier, policy, addressLimiter, tokenFailureLimiter }),
    logger,
    "refresh",
  );
  const revoke = logFailures(
    createRevokeCustomerToken({
      revoker,
      addressLimiter,
      held: replay ? [provider, replay] : [provider],
    }),
    logger,
    "revoke",
  );
  const status = createServingStatus();
  const { basePath, cookie } = config;
  const face = {
    refresh,
    revoke,
    basePath,
    bodyLimitBytes: limits.bodyBytes,
    cookie,
    clientAddressOf: createClientAddressOf(
      config.rateLimit.trustedProxies,
      config.rateLimit.ipv6PrefixBits,
    ),
    fromOtherOrigin: createOriginCheck(config.cors.origins),
  };
  const ops = createOpsRoutes({
    isReady: status.isServing,
    readyDetail: state.readyDetail,
    openApi: { path: `${basePath}/openapi.json`, document: openApiDocument },
  });
  const handler = createRouter({
    rest: createRestRoutes(face),
    http: new Map([...ops, ...(overrides.extraRoutes ?? [])]),
    rpc: createRpcFace({ ...face, status, notFound }),
    basePath,
    cors: config.cors,
    observe: (routes, labelOf) => observeRequests(routes, { logger, metrics, labelOf }),
  });
  return {
    handler,
    refresh,
    verifier,
    status,
    logger,
    metrics,
    async close() {
      // Each ends within its own UPSTREAM_TIMEOUT_MS.
      await replay?.idle();
      client.destroy();
      await state.close();
    },
  };
}
