import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sendAnswer } from "../http/types.ts";
import type { Metrics } from "../observability/metrics.ts";
import { restRoutingError } from "../wire/error-table.ts";
import { metricsRoute } from "./metrics-route.ts";

export interface MetricsServer {
  /** Listens on METRICS_PORT/METRICS_HOST; resolves to the scrape URL's origin. */
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * GET /metrics on a listener of its own, for the scraper on the pod network: off the public
 * port, where clients could make it render the registry on demand (a pipelined flood of scrapes
 * once took a pod past its memory limit), and where it would tell anyone the service's figures.
 */
export function createMetricsServer(metrics: Metrics, timeoutMs: number): MetricsServer {
  const route = metricsRoute(metrics);
  const server: Server = createServer(
    { headersTimeout: timeoutMs, requestTimeout: timeoutMs, keepAliveTimeout: timeoutMs },
    (req, res) => {
      if ((req.url ?? "").split("?", 1)[0] === "/metrics") {
        route(req, res);
        return;
      }
      sendAnswer(res, restRoutingError("not_found"));
    },
  );
  // A scraper needs a connection or two.
  server.maxConnections = 16;
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const { port: bound } = server.address() as AddressInfo;
          const shown = host === "0.0.0.0" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
          resolve(`http://${shown}:${bound}`);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
