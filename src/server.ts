import { readFileSync } from "node:fs";
import type { AddressInfo, Server } from "node:net";
import { type AppOverrides, createApp } from "./app.ts";
import { type Config, ConfigError } from "./config/config.ts";
import { createOnePortServer } from "./http/one-port-server.ts";
import { createMetricsServer } from "./ops/metrics-server.ts";
import type { RefreshCustomerToken } from "./refresh/refresh-customer-token.ts";

export interface Service {
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

/** The wired app on its port: listening, the JWKS warm-up, and the drain. */
export function createService(config: Config, overrides: AppOverrides = {}): Service {
  const app = createApp(config, overrides);
  const { logger, status, verifier } = app;
  const { limits } = config;
  const tls = config.tls && {
    cert: readTlsFile("TLS_CERT", config.tls.certFile),
    key: readTlsFile("TLS_KEY", config.tls.keyFile),
  };
  const { server, beginDrain, closeIdle, closeAll } = createOnePortServer({
    handler: app.handler,
    tls,
    headersTimeoutMs: limits.headersTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs,
    idleTimeoutMs: limits.idleTimeoutMs,
    maxConnections: limits.maxConnections,
  });
  const metricsServer = createMetricsServer(app.metrics, limits.headersTimeoutMs);
  const { cognito } = config;
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
    refresh: app.refresh,
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
      if (limits.drainDelayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, limits.drainDelayMs));
      }
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
        graceTimer = setTimeout(resolve, limits.drainIdleGraceMs);
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
      await app.close();
    },
  };
}
