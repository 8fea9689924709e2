import type { Logger } from "../observability/log.ts";
import type { Metrics } from "../observability/metrics.ts";
import { protocolOf, type RouteLabel } from "../observability/protocol.ts";
import { type RequestFacts, runWithFacts } from "../observability/request-context.ts";
import { REQUEST_ID_HEADER, requestIdOf } from "../observability/request-id.ts";
import type { Outcome } from "../wire/outcome.ts";
import { type Handler, pathOf } from "./types.ts";

export interface ObserveRequestsOptions {
  logger: Logger;
  metrics: Metrics;
  /** The bounded route label and surface of a path (the router knows them). */
  labelOf: (path: string) => RouteLabel;
}

/**
 * Probes come every few seconds from machines, not customers: they
 * would swamp the request counts and the latency histogram, so they are left out
 * of the request metrics (they still get their log line and request id).
 */
const UNMEASURED = new Set(["/healthz", "/readyz"]);

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Wraps every route: gives each request an id (echoed as X-Request-Id), makes
 * its facts reachable while it runs, and when its response ends writes one
 * log line and updates the request metrics. The line is built from labels and
 * numbers only; the URL is not logged (a query string could carry a token).
 */
export function observeRequests(handler: Handler, options: ObserveRequestsOptions): Handler {
  const { logger, metrics, labelOf } = options;
  return (req, res) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const path = pathOf(req);
    const label = labelOf(path);
    const protocol = protocolOf(req, path, label);
    const measured = !UNMEASURED.has(label.route);
    const facts: RequestFacts = { requestId, coalesced: false };
    if (measured) metrics.requestStarted();

    let ended = false;
    const end = (completed: boolean) => {
      if (ended) return;
      ended = true;
      const ms = performance.now() - started;
      const rpcCode = facts.rpcCode;
      // Recorded by the code that decided the answer. A client (or its connection) gone before
      // the answer is cancelled, whatever was decided; an answer nothing recorded (a static
      // file of the demo page) is read from its status.
      let outcome: Outcome = "cancelled";
      if (completed) outcome = facts.outcome ?? (res.statusCode < 400 ? "success" : "internal");
      if (measured) metrics.requestEnded({ protocol, route: label.route, outcome }, ms / 1000);
      logger.info("request", {
        requestId,
        method: req.method,
        protocol,
        route: label.route,
        outcome,
        status: res.statusCode,
        code: rpcCode,
        durationMs: round(ms),
        upstreamMs: facts.upstreamMs === undefined ? undefined : round(facts.upstreamMs),
        upstreamAttempts: facts.upstreamAttempts,
        coalesced: facts.coalesced,
        replayed: facts.replayed,
      });
    };
    // Node's HTTP/2 compatibility layer emits "finish" for a stream the client reset too, not
    // only once an answer is flushed: only a response we ended is an answered one.
    res.once("finish", () => end(res.writableEnded));
    res.once("close", () => end(false));
    runWithFacts(facts, () => handler(req, res));
  };
}
