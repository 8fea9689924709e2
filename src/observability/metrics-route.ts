import { restRoutingError } from "../transport/error-table.ts";
import { type Handler, sendJson } from "../transport/http-types.ts";
import type { Metrics } from "./metrics.ts";

/** GET /metrics: the Prometheus text format of this app's registry and the process's. */
export function metricsRoute(metrics: Metrics): Handler {
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      const error = restRoutingError("method_not_allowed");
      sendJson(res, error.status, error.body, { allow: "GET, HEAD" });
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
      () => {
        const body = JSON.stringify({ message: "Internal Server Error" });
        sendJson(res, 500, body);
      },
    );
  };
}
