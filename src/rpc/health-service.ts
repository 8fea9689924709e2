import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "../../gen/health/v1/health_pb.ts";
import type { ServingPhase, ServingStatus } from "../observability/serving-status.ts";

/**
 * grpc.health.v1.Health over Connect, per
 * https://github.com/grpc/grpc/blob/master/doc/health-checking.md: "" is the
 * whole server, the other names are the services it serves. All of them
 * share one status, because they share the one thing that can fail: the
 * token verifier's keys.
 */
export function healthRoutes(
  status: ServingStatus,
  serviceNames: readonly string[],
): (router: ConnectRouter) => void {
  const known = new Set(["", ...serviceNames]);
  const current = () => (status.isServing() ? Status.SERVING : Status.NOT_SERVING);
  return (router) => {
    router.service(Health, {
      check(req) {
        if (!known.has(req.service)) {
          throw new ConnectError(`unknown service ${nameOf(req.service)}`, Code.NotFound);
        }
        return { status: current() };
      },
      async *watch(req, ctx) {
        if (!known.has(req.service)) {
          // The spec keeps the call open for a service that may appear later;
          // ours never will, so it stays open until the client leaves or we drain.
          yield { status: Status.SERVICE_UNKNOWN };
          for await (const _ of phases(status, ctx.signal)) {
            // nothing to tell
          }
          return;
        }
        for await (const phase of phases(status, ctx.signal)) {
          yield { status: phase === "serving" ? Status.SERVING : Status.NOT_SERVING };
        }
      },
      list() {
        const statuses = Object.fromEntries(
          [...known].map((name) => [name, { status: current() }]),
        );
        return { statuses };
      },
    });
  };
}

/**
 * The current phase, then each change, until the caller goes away (signal)
 * or the server drains: a Watch stream must not hold close() open, so
 * "draining" is the last phase told.
 */
async function* phases(status: ServingStatus, signal: AbortSignal): AsyncGenerator<ServingPhase> {
  const pending: ServingPhase[] = [status.phase()];
  let wake: (() => void) | undefined;
  const unsubscribe = status.subscribe((phase) => {
    pending.push(phase);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    while (!signal.aborted) {
      const phase = pending.shift();
      if (phase === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      yield phase;
      if (phase === "draining") return;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}

// A service name is the client's text: echo a short one to help, never a long one back.
const MAX_ECHOED = 64;
function nameOf(service: string): string {
  const shown = service.length > MAX_ECHOED ? `${service.slice(0, MAX_ECHOED)}…` : service;
  return JSON.stringify(shown);
}
