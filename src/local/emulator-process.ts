/**
 * Child-process entry for the embedded cognito-local, started by emulator.ts with fork().
 * cognito-local reads HOST and PORT when it is first loaded and keeps its data in `.cognito/`
 * under the working directory, so the parent sets both before this file runs. Whatever this
 * process writes to stdout or stderr lands in the parent's log file, never on its terminal.
 */
import { createRequire } from "node:module";
import { createDefaultServer } from "cognito-local";

export type EmulatorMessage =
  | { type: "listening"; port: number }
  | { type: "failed"; code: string | undefined; message: string };

// The IPC channel closes when the parent exits in any way, SIGKILL included: follow it, so an
// emulator is never left running behind a dead service or test run.
process.on("disconnect", () => process.exit(0));

function tell(message: EmulatorMessage, then?: () => void): void {
  if (process.send && process.connected) {
    process.send(message, () => then?.());
  } else {
    then?.();
  }
}

// pino is cognito-local's own dependency, not ours: load the copy it resolves to.
const fromCognitoLocal = createRequire(createRequire(import.meta.url).resolve("cognito-local"));
const pino = fromCognitoLocal("pino") as typeof import("pino").default;
type CognitoLocalLogger = Parameters<typeof createDefaultServer>[0];

// Plain JSON lines at info: cognito-local logs request bodies, tokens included, only at debug.
// Typed by our own (newer) pino; at run time it is cognito-local's, which is what it wants.
const logger = pino({
  level: "info",
  timestamp: pino.stdTimeFunctions.isoTime,
}) as unknown as CognitoLocalLogger;

try {
  const server = await (await createDefaultServer(logger)).start();
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : Number(process.env.PORT);
  logger.info(`cognito-local listening on ${process.env.HOST}:${port}`);
  tell({ type: "listening", port });
} catch (error) {
  const { code, message } = error as NodeJS.ErrnoException;
  logger.error(error, "cognito-local failed to start");
  tell({ type: "failed", code, message: String(message) }, () => process.exit(1));
}
