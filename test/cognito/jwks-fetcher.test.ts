import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FetchError, NonRetryableFetchError } from "aws-jwt-verify/error";
import { afterEach, describe, expect, it } from "vitest";
import { HttpJwksFetcher } from "../../src/cognito/jwks-fetcher.ts";
import { closedPort } from "../support/ports.ts";

const JWKS = JSON.stringify({ keys: [{ kty: "RSA", kid: "k1", n: "AQAB", e: "AQAB" }] });

let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/pool/.well-known/jwks.json`;
}

afterEach(async () => {
  const running = server;
  server = undefined;
  if (!running) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
});

describe("the JWKS fetcher for a configured endpoint", () => {
  it("fetches a JWKS over plain http", async () => {
    const uri = await serve((req, res) => {
      expect(req.url).toBe("/pool/.well-known/jwks.json");
      res.writeHead(200, { "content-type": "application/json" }).end(JWKS);
    });
    const body = await new HttpJwksFetcher().fetch(uri);
    expect(Buffer.from(body).toString("utf8")).toBe(JWKS);
  });

  it("refuses a status other than 200 without retrying", async () => {
    const uri = await serve((_req, res) => res.writeHead(404).end("not here"));
    const error = await new HttpJwksFetcher().fetch(uri).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetryableFetchError);
    expect(String(error)).toContain("Status code is 404");
  });

  it("gives up on a server that never answers, within its timeout", async () => {
    const uri = await serve(() => {});
    const error = await new HttpJwksFetcher(200).fetch(uri).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect(error).not.toBeInstanceOf(NonRetryableFetchError);
  });

  it("refuses a body larger than a JWKS could be", async () => {
    const uri = await serve((_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(2 * 1024 * 1024, 0x20));
    });
    const error = await new HttpJwksFetcher().fetch(uri).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect(String(error)).toContain("bytes");
  });

  it("reports a refused connection as a fetch error", async () => {
    const uri = `http://127.0.0.1:${await closedPort()}/jwks.json`;
    const error = await new HttpJwksFetcher().fetch(uri).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect(String(error)).toContain("ECONNREFUSED");
  });
});
