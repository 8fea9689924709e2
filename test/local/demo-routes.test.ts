// The embedded default's demo routes hand out tokens: they answer only under loopback names,
// so a page elsewhere that points a name of its own at 127.0.0.1 (DNS rebinding) reads nothing.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoRoutes } from "../../src/local/demo-routes.ts";

// A synthetic token: the routes only pass on what freshRefreshToken gives them.
const TOKEN = "demo.refresh.token";
let server: Server;
let port: number;

beforeAll(async () => {
  const routes = createDemoRoutes({
    freshRefreshToken: async () => TOKEN,
    cookie: { name: "refresh_token", path: "/auth/api/v1", maxAgeSeconds: 60 },
    basePath: "/auth/api/v1",
  });
  server = createServer((req, res) => routes.get(req.url ?? "")?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server?.close();
});

function get(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host } }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the demo routes", () => {
  it.each(["127.0.0.1", "localhost", "[::1]"])(
    "answer under the loopback name %s",
    async (name) => {
      const answer = await get("/demo/token", `${name}:${port}`);
      expect(answer).toEqual({ status: 200, body: JSON.stringify({ refresh_token: TOKEN }) });
    },
  );

  it.each(["rebound.example", "rebound.example:80", "10.0.0.5", "127.0.0.1.rebound.example"])(
    "answer 404 and no token under %j",
    async (host) => {
      for (const path of ["/demo/token", "/demo"]) {
        const answer = await get(path, host);
        expect(answer.status).toBe(404);
        expect(answer.body.includes(TOKEN)).toBe(false);
      }
    },
  );
});
