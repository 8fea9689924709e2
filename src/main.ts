import module from "node:module";
import { fileURLToPath } from "node:url";
import type { ResolvedConfig } from "./app.ts";
import type { Config } from "./config.ts";
import type { Handler } from "./transport/http-types.ts";

/** Process entry: config, the embedded default when unconfigured, listen, signals. */

// Node strips the types of every src/*.ts file and compiles every module on each start, a
// good part of start-up. Its compile cache keeps both on disk (NODE_COMPILE_CACHE, else the
// OS temp folder) for the next start; where nothing can be written (a read-only root) it
// quietly stays off. Enabled before the imports below, so that they are the ones cached.
module.enableCompileCache();

const [
  { createApp },
  { ConfigError, loadConfig },
  { createLogger },
  { logCrashes },
  { scrub },
  { REFRESH_ROUTE },
] = await Promise.all([
  import("./app.ts"),
  import("./config.ts"),
  import("./log.ts"),
  import("./observability/crash-log.ts"),
  import("./observability/redaction.ts"),
  import("./transport/rest-paths.ts"),
]);

const DEFAULT_DATA_DIR = fileURLToPath(new URL("../.local/", import.meta.url));

function fail(line: string, code: number): never {
  process.stderr.write(`${line}\n`);
  process.exit(code);
}

function readConfig(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(`invalid configuration: ${error.message}`, 2);
    }
    throw error;
  }
}

interface Embedded {
  freshRefreshToken(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The demo page calls the service from its own origin, under either loopback name; with
 * PORT=0 the origin is not known before listening, so only CORS_ORIGINS applies then.
 */
function embeddedCorsOrigins(env: NodeJS.ProcessEnv, port: number): string {
  const own = port === 0 ? [] : [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  const given = (env.CORS_ORIGINS ?? "").split(",").map((origin) => origin.trim());
  return [...new Set([...given.filter(Boolean), ...own])].join(",");
}

async function main(): Promise<void> {
  let config = readConfig(process.env);
  let embedded: Embedded | undefined;
  let extraRoutes: ReadonlyMap<string, Handler> | undefined;
  // Pretty when the log's own stream (stderr) is a terminal: `npm start` in a shell.
  const logger = createLogger({ level: config.logLevel, pretty: process.stderr.isTTY === true });
  logCrashes(logger);
  if (config.cognito === "embedded") {
    // Loaded only here: production (Cognito configured) never loads the emulator or the demo.
    const [{ startEmbedded }, { createDemoRoutes }] = await Promise.all([
      import("./local/embedded.ts"),
      import("./local/demo-routes.ts"),
    ]).catch((error: unknown) => {
      // The image leaves the development-only emulator out: say what to configure instead.
      if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
      return fail(
        "failed to start: no COGNITO_* configured and the embedded emulator (development only) " +
          "is not installed: set COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID",
        1,
      );
    });
    const started = await startEmbedded({ dataDir: config.localDataDir ?? DEFAULT_DATA_DIR });
    embedded = started;
    const CORS_ORIGINS = embeddedCorsOrigins(process.env, config.port);
    // HOST keeps the embedded default (loopback): with COGNITO_* set it would turn 0.0.0.0,
    // and the dev-only demo routes hand out tokens.
    config = readConfig({ ...process.env, ...started.env, HOST: config.host, CORS_ORIGINS });
    extraRoutes = createDemoRoutes({
      freshRefreshToken: started.freshRefreshToken,
      cookie: config.cookie,
      basePath: config.basePath,
      onError: (what, error) =>
        logger.warn(`${what} failed`, { error: error instanceof Error ? error.name : "unknown" }),
    });
  }
  let app: ReturnType<typeof createApp>;
  try {
    app = createApp(config as ResolvedConfig, { logger, extraRoutes });
  } catch (error) {
    await embedded?.stop();
    if (error instanceof ConfigError) {
      fail(`invalid configuration: ${error.message}`, 2);
    }
    throw error;
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    await app.close(config.limits.shutdownTimeoutMs);
    await embedded?.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));

  let url: string;
  try {
    ({ url } = await app.listen());
  } catch (error) {
    await embedded?.stop();
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
  if (embedded) {
    const route = `${url}${config.basePath}${REFRESH_ROUTE}`;
    process.stdout.write(
      [
        "",
        `Customer Refresh Token service on ${url} (embedded local Cognito, demo customer ready)`,
        "",
        "Try it:",
        `  curl -sS -X POST ${route} -H 'content-type: application/json' \\`,
        `    -d '{"refresh_token":"${await embedded.freshRefreshToken()}"}'`,
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
