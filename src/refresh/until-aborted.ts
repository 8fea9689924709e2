/**
 * `work`'s outcome, or the signal's reason as soon as it aborts: a caller stops waiting, the
 * work goes on. `onAbort` runs first, for a shared call that counts who still waits.
 */
export function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => void = () => {},
): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener("abort", abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (reason: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(reason);
      },
    );
  });
}
