/**
 * Serves the demo page from an origin of its own (http://127.0.0.1:<another port>), so the
 * page's calls to the service are cross-origin but same-site, as for Worth's web apps on a
 * sibling subdomain. It serves the service's own page handlers, nothing else of the service.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Handler } from "../../../../src/http/types.ts";

export interface PageServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  close(): Promise<void>;
}

const BLANK = "<!doctype html><title>blank</title>";

/**
 * GET /demo and /demo/app.js from the demo routes, and whatever else `routes` names; any other
 * path is a blank page, so a test can run a script on this host at any path (cookies are per
 * host and path, not per port). `host` is the name the page is opened under.
 */
export async function startPageServer(
  routes: ReadonlyMap<string, Handler>,
  host = "127.0.0.1",
): Promise<PageServer> {
  const served = (path: string) =>
    path === "/demo" || path === "/demo/app.js" || !path.startsWith("/demo");
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://page").pathname;
    const handler = served(path) ? routes.get(path) : undefined;
    if (handler) {
      handler(req, res);
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(BLANK);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
