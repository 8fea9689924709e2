/**
 * Whether the service can serve, as something one can watch: /readyz and
 * grpc.health.v1 Check read it, Watch streams its changes. It only moves
 * forward: starting -> serving (JWKS loaded) -> draining (close() began),
 * and never back, so a key load that finishes during shutdown cannot make a
 * draining server look healthy again.
 */
export type ServingPhase = "starting" | "serving" | "draining";

export interface ServingStatus {
  phase(): ServingPhase;
  isServing(): boolean;
  /** The service is ready (configuration valid, keys loaded). Ignored once draining. */
  markServing(): void;
  /** Shutdown has begun: not serving, for good. */
  markDraining(): void;
  /** Called with each new phase; returns the unsubscribe function. */
  subscribe(listener: (phase: ServingPhase) => void): () => void;
}

export function createServingStatus(): ServingStatus {
  let current: ServingPhase = "starting";
  const listeners = new Set<(phase: ServingPhase) => void>();
  const move = (next: ServingPhase) => {
    if (current === next || current === "draining") return;
    current = next;
    // A copy: a listener may unsubscribe while being told.
    for (const listener of [...listeners]) listener(next);
  };
  return {
    phase: () => current,
    isServing: () => current === "serving",
    markServing: () => move("serving"),
    markDraining: () => move("draining"),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
