/**
 * The one way the tests start the service in-process: on free loopback ports (PORT and
 * METRICS_PORT 0, HOST 127.0.0.1), as main.ts wires it, silent unless a log is asked for. Every
 * harness wraps this one (the observability harness adds a fake Cognito and a captured log,
 * the fault rig a fake and a relay, the hostile one a fake and bounds). Each call is a
 * separate server; close() stops it.
 */
import type { AppOverrides } from "../../src/app.ts";
import { createCognitoClient } from "../../src/cognito/cognito-client.ts";
import { createCognitoProvider } from "../../src/cognito/cognito-provider.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { LogLevel } from "../../src/observability/log.ts";
import type { IdentityProvider } from "../../src/refresh/ports.ts";
import { createService, type Service } from "../../src/server.ts";
import {
  type FakeCognito,
  type FakeCognitoOptions,
  startFakeCognito,
} from "./fake-cognito/index.ts";
import { type CapturedLog, captureLog } from "./log-capture.ts";

export interface StartOptions {
  /** Parts of the service replaced: a counted provider, a verifier, extra routes, a log stream. */
  overrides?: AppOverrides;
  /** LOG_LEVEL; "silent" unless given here (env's LOG_LEVEL is not read). */
  logLevel?: LogLevel;
  /** Keep the log at logLevel, written and handed, in the result's `log`. */
  logCapture?: boolean;
}

export interface RunningService {
  /** http://127.0.0.1:<port>, no trailing slash. */
  url: string;
  /** The metrics listener's origin: GET `${metricsUrl}/metrics`. */
  metricsUrl: string;
  port: number;
  app: Service;
  close(): Promise<void>;
}

export interface LoggedService extends RunningService {
  log: CapturedLog;
}

export function startService(
  env: Readonly<Record<string, string | undefined>>,
  options?: StartOptions & { logCapture?: false },
): Promise<RunningService>;
export function startService(
  env: Readonly<Record<string, string | undefined>>,
  options: StartOptions & { logCapture: true },
): Promise<LoggedService>;
export async function startService(
  env: Readonly<Record<string, string | undefined>>,
  options: StartOptions = {},
): Promise<RunningService | LoggedService> {
  // Teardown does not wait out the drain's keep-alive grace (test/system/process/drain.test.ts
  // covers it with the defaults); a test may still set it.
  const config = loadConfig({
    DRAIN_IDLE_GRACE_MS: "0",
    ...env,
    PORT: "0",
    METRICS_PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: options.logLevel ?? "silent",
  });
  const log = options.logCapture ? captureLog(config.logLevel) : undefined;
  const overrides = log ? { ...options.overrides, logger: log.logger } : options.overrides;
  const app = createService(config, overrides);
  const { port, url, metricsUrl } = await app.listen();
  let closing: Promise<void> | undefined;
  const running: RunningService = {
    url,
    metricsUrl,
    port,
    app,
    close: () => {
      closing ??= app.close(2000);
      return closing;
    },
  };
  return log ? { ...running, log } : running;
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

export interface ServiceWithFake extends RunningService {
  fake: FakeCognito;
}

/** A Cognito fake and the service in front of it; close() stops both. */
export async function startWithFake(
  fakeOptions: FakeCognitoOptions,
  env: Readonly<Record<string, string>> = {},
): Promise<ServiceWithFake> {
  const fake = await startFakeCognito(fakeOptions);
  const service = await startService({ ...fake.env, ...env });
  return {
    ...service,
    fake,
    async close() {
      await service.close();
      await fake.close();
    },
  };
}
