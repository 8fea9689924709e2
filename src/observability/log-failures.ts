import { RefreshError } from "../refresh/refresh-error.ts";
import type { Logger } from "./log.ts";

/**
 * Failures a client cannot cause (upstream outages, misconfiguration, bugs)
 * are logged by kind, by our own words for why, and by the names of the errors
 * underneath: names only, because messages are the provider's text and could
 * one day carry input. A caller that gave up (its deadline, its connection) is
 * not such a failure: its own request line says so.
 */
export function logFailures<Input, Output>(
  useCase: (input: Input, signal?: AbortSignal) => Promise<Output>,
  logger: Logger,
  action: string,
): (input: Input, signal?: AbortSignal) => Promise<Output> {
  const message = `${action} failed`;
  return async (input, signal) => {
    try {
      return await useCase(input, signal);
    } catch (reason) {
      const error = RefreshError.from(reason);
      const failed = error.kind === "internal" || error.kind === "unavailable";
      if (failed && !signal?.aborted) {
        const cause = error.cause instanceof Error ? error.cause : undefined;
        logger.warn(message, { kind: error.kind, reason: error.reason, cause: cause?.name });
      }
      throw error;
    }
  };
}
