// Waiting and timing for tests that bound how long something takes or wait for it to happen.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `work` and says how long it took, in milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** Polls `check` every 25 ms until it holds or `timeoutMs` passes; says whether it held. */
export async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const deadline = performance.now() + timeoutMs; performance.now() < deadline; ) {
    if (check()) return true;
    await sleep(25);
  }
  return check();
}
