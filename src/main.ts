import module from "node:module";
import type { Config } from "./config/config.ts";
import type { LocalDefault } from "./local/local-default.ts";
import type { Service } from "./server.ts";

/**
 * The process: configuration, the development default when unconfigured, signals, exit codes
 * and the banner. server.ts runs the service; app.ts wires it.
 */

// Node strips the types of every src/*.ts file and compiles every module on each start, a
// good part of start-up. Its compile cache keeps both on disk (NODE_COMPILE_CACHE, else the
// OS temp folder) for the next start; where nothing can be written (a read-only root) it
// quietly stays off. Enabled before the imports below, so that they are the ones cached.
module.enableCompileCache();

const [
  { createService },
  { ConfigError, hasCognitoSettings, loadConfig },
  { createLogger },
  { logCrashes },
  { scrub },
  { REFRESH_ROUTE },
] = await Promise.all([
  import("./server.ts"),
  import("./config/config.ts"),
  import("./observability/log.ts"),
  import("./observability/crash-log.ts"),
  import("./observability/redaction.ts"),
  import("./rest/paths.ts"),
]);

function fail(line: string, code: number): never {
  process.stderr.write(`${line}\n`);
  process.exit(code);
}

/** A configuration error ends the process in one line, exit 2; anything else is rethrown. */
function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`, 2);
  throw error;
}

/** Loaded only here: production (Cognito configured) never loads the emulator or the demo. */
async function startLocal(env: NodeJS.ProcessEnv): Promise<LocalDefault> {
  const { startLocalDefault } = await import("./local/local-default.ts").catch((error: unknown) => {
    // The image leaves the development-only emulator out: say what to configure instead.
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    return fail(
      "failed to start: no COGNITO_* configured and the embedded emulator (development only) " +
        "is not installed: set COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID",
      1,
    );
  });
  return startLocalDefault(env);
}

async function main(): Promise<void> {
  let local: LocalDefault | undefined;
  let config: Config;
  let service: Service;
  try {
    if (!hasCognitoSettings(process.env)) local = await startLocal(process.env);
    config = loadConfig(local?.env ?? process.env);
  } catch (error) {
    await local?.stop();
    exitOnConfigError(error);
  }
  // Pretty when the log's own stream (stderr) is a terminal: `npm start` in a shell.
  const logger = createLogger({ level: config.logLevel, pretty: process.stderr.isTTY === true });
  logCrashes(logger);
  const extraRoutes = local?.demoRoutes(config, (what, error) =>
    logger.warn(`${what} failed`, { error: error instanceof Error ? error.name : "unknown" }),
  );
  try {
    service = createService(config, { logger, extraRoutes });
  } catch (error) {
    await local?.stop();
    exitOnConfigError(error);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    await service.close(config.limits.shutdownTimeoutMs);
    await local?.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));

  let url: string;
  try {
    ({ url } = await service.listen());
  } catch (error) {
    await local?.stop();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      fail(`port ${config.port} on ${config.host} is already in use: set PORT to a free port`, 1);
    }
    if (code === "EACCES") {
      fail(`not allowed to listen on port ${config.port}: set PORT to a port above 1023`, 1);
    }
    throw error;
  }
  logger.info("listening", { url });
  // Written now, not at exit: a process that is killed never reaches its exit hook.
  module.flushCompileCache();
  if (local) {
    const route = `${url}${config.basePath}${REFRESH_ROUTE}`;
    process.stdout.write(
      [
        "",
        `Customer Refresh Token service on ${url} (embedded local Cognito, demo customer ready)`,
        "",
        "Try it:",
        `  curl -sS -X POST ${route} -H 'content-type: application/json' \\`,
        `    -d '{"refresh_token":"${await local.freshRefreshToken()}"}'`,
        "",
        "A fresh token any time: npm run --silent demo-token",
        `The demo page (Connect-web, body and cookie modes): ${url}/demo`,
        "Press Ctrl-C to stop.",
        "",
      ].join("\n"),
    );
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  fail(`failed to start: ${scrub(message)}`, 1);
});
