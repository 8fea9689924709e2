/**
 * Starts the service in-process on a free loopback port, the way main.ts does but silent,
 * for integration tests. Each call is a separate server; close() stops it.
 */
import type { AppOverrides } from "../../src/app.ts";
import { createCognitoClient } from "../../src/cognito/cognito-client.ts";
import { createCognitoProvider } from "../../src/cognito/cognito-provider.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { IdentityProvider } from "../../src/refresh/ports.ts";
import { createService, type Service } from "../../src/server.ts";

export interface RunningService {
  /** http://127.0.0.1:<port>, no trailing slash. */
  url: string;
  /** The metrics listener's origin: GET `${metricsUrl}/metrics`. */
  metricsUrl: string;
  port: number;
  app: Service;
  close(): Promise<void>;
}

export async function startService(
  env: Readonly<Record<string, string | undefined>>,
  overrides: AppOverrides = {},
): Promise<RunningService> {
  // Teardown does not wait out the drain's keep-alive grace (test/system/process/drain.test.ts
  // covers it with the defaults); a test may still set it.
  const config = loadConfig({
    DRAIN_IDLE_GRACE_MS: "0",
    ...env,
    PORT: "0",
    METRICS_PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
  });
  const app = createService(config, overrides);
  const { port, url, metricsUrl } = await app.listen();
  let closing: Promise<void> | undefined;
  return {
    url,
    metricsUrl,
    port,
    app,
    close: () => {
      closing ??= app.close(2000);
      return closing;
    },
  };
}

export interface CountingProvider {
  provider: IdentityProvider;
  /** How many refreshes reached the provider so far. */
  calls(): number;
  destroy(): void;
}

/**
 * The real Cognito adapter for `env`, counted: pass `provider` to startService() to prove that
 * a refused request never reached the identity provider.
 */
export function countingProvider(
  env: Readonly<Record<string, string | undefined>>,
): CountingProvider {
  const config = loadConfig(env);
  const timeoutMs = config.limits.upstreamTimeoutMs;
  const client = createCognitoClient(config.cognito, { requestTimeoutMs: timeoutMs });
  const real = createCognitoProvider({
    client,
    clientId: config.cognito.clientId,
    clientSecret: config.cognito.clientSecret,
    refreshApi: config.cognito.refreshApi,
    timeoutMs,
  });
  let calls = 0;
  return {
    provider: {
      refresh(token, signal) {
        calls++;
        return real.refresh(token, signal);
      },
    },
    calls: () => calls,
    destroy: () => client.destroy(),
  };
}
