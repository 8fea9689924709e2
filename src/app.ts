import { readFileSync } from "node:fs";
import type { AddressInfo, Server } from "node:net";
import type { DestinationStream } from "pino";
import { Health } from "../gen/health/v1/health_pb.ts";
import { AuthService } from "../gen/worth/auth/v1/auth_service_pb.ts";
import { createCognitoClient } from "./cognito/cognito-client.ts";
import { createCognitoProvider } from "./cognito/cognito-provider.ts";
import { createCognitoRevoker } from "./cognito/cognito-revoker.ts";
import { createTokenVerifier } from "./cognito/token-verifier.ts";
import { type CognitoConfig, type Config, ConfigError } from "./config.ts";
import { createRateLimiters } from "./limits/rate-limiters.ts";
import { createLogger, type Logger, silentLogger } from "./log.ts";
import { logFailures } from "./observability/log-failures.ts";
import { createMetrics } from "./observability/metrics.ts";
import { createMetricsServer } from "./observability/metrics-server.ts";
import {
  observeCoalescing,
  observeLimiter,
  upstreamRecorder,
} from "./observability/observe-ports.ts";
import { observeRequests } from "./observability/observe-requests.ts";
import { coalesce } from "./refresh/coalesce.ts";
import { createCustomerPolicy } from "./refresh/customer-policy.ts";
import type { IdentityProvider, TokenRevoker, TokenVerifier } from "./refresh/ports.ts";
import {
  createRefreshCustomerToken,
  type RefreshCustomerToken,
} from "./refresh/refresh-customer-token.ts";
import { createRevokeCustomerToken } from "./refresh/revoke-customer-token.ts";
import { createClientAddressOf } from "./transport/client-address.ts";
import { healthRoutes } from "./transport/health-service.ts";
import type { Handler } from "./transport/http-types.ts";
import { createOnePortServer } from "./transport/one-port-server.ts";
import { reflectionRoutes } from "./transport/reflection-service.ts";
import { createRoutes } from "./transport/routes.ts";
import { createServingStatus } from "./transport/serving-status.ts";

/** A config whose identity provider is known (the embedded default resolved). */
export type ResolvedConfig = Config & { cognito: CognitoConfig };

/** Collaborators tests may replace; production uses the Cognito defaults. */
export interface AppOverrides {
  provider?: IdentityProvider;
  revoker?: TokenRevoker;
  verifier?: TokenVerifier & { hydrate?(): Promise<void> };
  logger?: Logger;
  /** Where JSON log lines go at config.logLevel, when no logger is given (tests capture). */
  logDestination?: DestinationStream;
  /** More exact-path HTTP routes; the embedded default adds its demo page. */
  extraRoutes?: ReadonlyMap<string, Handler>;
}

export interface App {
  server: Server;
  refresh: RefreshCustomerToken;
  isReady(): boolean;
  /** Listens on config.port/host and the metrics port (0 for tests) and loads the JWKS. */
  listen(): Promise<{ port: number; url: string; metricsUrl: string }>;
  /** Stops accepting, lets in-flight requests finish, closes connections. */
  close(timeoutMs?: number): Promise<void>;
}

const JWKS_RETRY_MS = 2000;

/** A TLS file that cannot be read is a configuration error, named as such. */
function readTlsFile(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(variable, `cannot read ${file} (${code})`);
  }
}

/** The composition root: the only place that knows every part. */
export function createApp(config: ResolvedConfig, overrides: AppOverrides = {}): App {
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
  const provider = observeCoalescing(
    overrides.provider ?? createCognitoProvider({ ...upstream, refreshApi: cognito.refreshApi }),
    coalesce,
    metrics,
  );
  const revoker = overrides.revoker ?? createCognitoRevoker(upstream);
  const verifier = overrides.verifier ?? createTokenVerifier(cognito);
  const limiters = createRateLimiters(config.rateLimit, {
    onStateChange(state, reason) {
      metrics.rateLimitStore(state);
      if (state === "redis") {
        logger.info("rate limits shared through redis", { rateLimitStore: state });
      } else {
        logger.warn("redis unavailable; rate limits counted in this replica's memory", {
          rateLimitStore: state,
          reason,
        });
      }
    },
    onFallback: metrics.rateLimitFallback,
  });
  metrics.rateLimitStore(limiters.storeState());
  const { addressLimiter, tokenFailureLimiter } = limiters;
  const observedAddressLimiter = observeLimiter(addressLimiter, "consume", "address", metrics);
  const refresh = logFailures(
    createRefreshCustomerToken({
      provider,
      verifier,
      policy: createCustomerPolicy(config.policy),
      addressLimiter: observedAddressLimiter,
      tokenFailureLimiter: observeLimiter(
        tokenFailureLimiter,
        "blockedFor",
        "token_failures",
        metrics,
      ),
    }),
    logger,
    "refresh",
  );
  const revoke = logFailures(
    createRevokeCustomerToken({
      revoker,
      addressLimiter: observedAddressLimiter,
      held: [provider],
    }),
    logger,
    "revoke",
  );
  // Ready once the JWKS is loaded; draining from close() on. /readyz and gRPC health read it.
  const status = createServingStatus();
  const handler = createRoutes({
    refresh,
    revoke,
    basePath: config.basePath,
    bodyLimitBytes: limits.bodyBytes,
    cookie: config.cookie,
    cors: config.cors,
    clientAddressOf: createClientAddressOf(
      config.rateLimit.trustedProxies,
      config.rateLimit.ipv6PrefixBits,
    ),
    isReady: status.isServing,
    readyDetail: () => ({ rateLimitStore: limiters.storeState() }),
    services: [
      healthRoutes(status, [AuthService.typeName]),
      reflectionRoutes([AuthService, Health]),
    ],
    extraRoutes: overrides.extraRoutes,
    observe: (routes, labelOf) => observeRequests(routes, { logger, metrics, labelOf }),
  });
  const tls = config.tls && {
    cert: readTlsFile("TLS_CERT", config.tls.certFile),
    key: readTlsFile("TLS_KEY", config.tls.keyFile),
  };
  const { server, beginDrain, closeIdle, closeAll } = createOnePortServer({
    handler,
    tls,
    headersTimeoutMs: limits.headersTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs,
    idleTimeoutMs: limits.idleTimeoutMs,
    maxConnections: limits.maxConnections,
  });
  const metricsServer = createMetricsServer(metrics, limits.headersTimeoutMs);
  let retry: NodeJS.Timeout | undefined;

  const loadKeys = async (): Promise<void> => {
    try {
      await verifier.hydrate?.();
      status.markServing();
      logger.info("jwks loaded", { jwksUri: cognito.jwksUri });
    } catch (error) {
      logger.warn("jwks not loaded yet; retrying", {
        jwksUri: cognito.jwksUri,
        error: error instanceof Error ? error.name : "unknown",
      });
      if (status.phase() !== "draining") {
        retry = setTimeout(loadKeys, JWKS_RETRY_MS);
        retry.unref();
      }
    }
  };

  return {
    server,
    refresh,
    isReady: status.isServing,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      const metricsUrl = await metricsServer.listen(config.metrics.port, config.metrics.host);
      // Which Cognito, and whose tokens it accepts: the first thing to check when every
      // refresh fails verification.
      const { endpoint, issuer, jwksUri } = cognito;
      logger.info("cognito", { endpoint: endpoint ?? "aws", issuer, jwksUri });
      await loadKeys();
      const { port } = server.address() as AddressInfo;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      const scheme = tls ? "https" : "http";
      const url = `${scheme}://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
      return { port, url, metricsUrl };
    },
    async close(timeoutMs = 10_000) {
      // Health Watch streams end here, so they do not hold the server open.
      status.markDraining();
      clearTimeout(retry);
      // Not ready but still serving, so a balancer polling /readyz or gRPC health stops
      // sending before the listener refuses (Kubernetes' preStop pause does this instead).
      const { drainDelayMs } = config.limits;
      if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      let timedOut = false;
      const deadline = new Promise<void>((resolve) =>
        setTimeout(() => {
          timedOut = true;
          resolve();
        }, timeoutMs).unref(),
      );
      // A keep-alive connection idle at this instant may be carrying a client's next request
      // already: closing it would reset that request. For a grace, such a request is answered
      // (with Connection: close); only then are the connections still idle closed.
      beginDrain();
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise((resolve) => {
        graceTimer = setTimeout(resolve, config.limits.drainIdleGraceMs);
      });
      await Promise.race([closed, deadline, grace]);
      clearTimeout(graceTimer);
      const sweep = setInterval(closeIdle, 100);
      closeIdle();
      await Promise.race([closed, deadline]);
      if (timedOut) {
        // What has not finished by now will not be answered: close it rather than leak it.
        closeAll();
      }
      clearInterval(sweep);
      await metricsServer.close();
      client.destroy();
      await limiters.close();
    },
  };
}
