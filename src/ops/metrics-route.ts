import { type Handler, sendAnswer } from "../http/types.ts";
import type { Metrics } from "../observability/metrics.ts";
import { RefreshError } from "../refresh/refresh-error.ts";
import { restError, restRoutingError } from "../wire/error-table.ts";

/** GET /metrics: the Prometheus text format of this app's registry and the process's. */
export function metricsRoute(metrics: Metrics): Handler {
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendAnswer(res, restRoutingError("method_not_allowed"), { allow: "GET, HEAD" });
      return;
    }
    metrics.scrape().then(
      ({ contentType, text }) => {
        res.statusCode = 200;
        res.setHeader("content-type", contentType);
        res.setHeader("cache-control", "no-store");
        res.setHeader("content-length", Buffer.byteLength(text));
        if (req.method === "HEAD") res.end();
        else res.end(text);
      },
      () => sendAnswer(res, restError(new RefreshError("internal"))),
    );
  };
}
