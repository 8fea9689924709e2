import type { Logger } from "./log.ts";

/**
 * Node's own report of a crash prints the error's message, which can quote
 * input (JSON.parse's does): instead, one fatal line with the error's name and
 * its stack frames (code locations, no message), then exit 1.
 */
export function logCrashes(logger: Logger, exit: (code: number) => void = process.exit): void {
  process.on("uncaughtException", (error, origin) => {
    // Frame lines only: a message can span lines of its own.
    const stack = error instanceof Error ? (error.stack ?? "") : "";
    const frames = stack
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.startsWith("at "));
    logger.fatal("crashed", {
      origin,
      error: error instanceof Error ? error.name : typeof error,
      stack: frames.join(" | "),
    });
    exit(1);
  });
}
