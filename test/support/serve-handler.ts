/**
 * One src/http handler alone on a plain node:http server on a free loopback port, for tests
 * of a single route or helper without the rest of the service. Call closeServed() after each
 * test: it ends every server served since, open connections included.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Handler } from "../../src/http/types.ts";

const servers: Server[] = [];

/** Serves `handler`; resolves to its origin, http://127.0.0.1:<port>. */
export async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function closeServed(): Promise<void> {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
