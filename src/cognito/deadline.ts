/**
 * A signal that aborts when the caller's does or when `timeoutMs` has passed, with the same
 * reasons AbortSignal.any([signal, AbortSignal.timeout(ms)]) would give. Built by hand: that
 * pair costs two more signals and weak references per refresh, and its timer cannot be
 * cleared, so every call's signals stay alive for the whole timeout after it answered.
 */
export function deadline(
  timeoutMs: number,
  signal: AbortSignal | undefined,
): { abortSignal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  if (signal?.aborted) {
    controller.abort(signal.reason);
    return { abortSignal: controller.signal, release: () => undefined };
  }
  // Follows the caller's signal for as long as that lives, as AbortSignal.any does.
  signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  const timer = setTimeout(() => {
    controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
  }, timeoutMs);
  // Like AbortSignal.timeout's: a pending call does not by itself keep the process alive.
  timer.unref();
  return { abortSignal: controller.signal, release: () => clearTimeout(timer) };
}
