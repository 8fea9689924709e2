/**
 * The operational routes: the served OpenAPI document, liveness and readiness, including a
 * service whose JWKS cannot be loaded (it listens and is alive, but not ready).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restFetch, restHttp2 } from "../support/clients.ts";
import { startTestCognito, type TestCognito } from "../support/cognito-local.ts";
import { closedPort } from "../support/ports.ts";
import { type RunningService, startService } from "../support/server.ts";

const DOCUMENT = readFileSync(new URL("../../src/rest/openapi.json", import.meta.url), "utf8");

let cognito: TestCognito;
let service: RunningService;

beforeAll(async () => {
  cognito = await startTestCognito();
  service = await startService(cognito.env);
});

afterAll(async () => {
  await service?.close();
  await cognito?.stop();
});

describe("the served OpenAPI document", () => {
  it("is the document in the repository, byte for byte, over HTTP/1.1 and HTTP/2", async () => {
    for (const send of [restFetch, restHttp2]) {
      const result = await send(service.url, { method: "GET", path: "/auth/api/v1/openapi.json" });
      expect(result.status).toBe(200);
      expect(result.text).toBe(DOCUMENT);
      expect(result.body).toEqual(JSON.parse(DOCUMENT));
    }
  });

  it("answers 405 with Allow: GET, HEAD to a POST", async () => {
    const result = await restFetch(service.url, { path: "/auth/api/v1/openapi.json" });
    expect(result.status).toBe(405);
    expect(result.headers instanceof Headers && result.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("liveness and readiness", () => {
  it('answers /healthz 200 {"status":"ok"}', async () => {
    const result = await restFetch(service.url, { method: "GET", path: "/healthz" });
    expect(result.status).toBe(200);
    expect(result.text).toBe('{"status":"ok"}');
  });

  it('answers /readyz 200 {"status":"ready"} once listening', async () => {
    expect(service.app.isReady()).toBe(true);
    const result = await restFetch(service.url, { method: "GET", path: "/readyz" });
    expect(result.status).toBe(200);
    expect(result.text).toBe('{"status":"ready","rateLimitStore":"memory","replayStore":"memory"}');
  });

  it("listens but answers /readyz 503 when the JWKS cannot be loaded", async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const broken = await startService({
      ...cognito.env,
      COGNITO_ENDPOINT: unreachable,
      COGNITO_JWKS_URI: `${unreachable}/jwks.json`,
    });
    try {
      // listen() must not wait for the keys (it retries them in the background).
      expect(Date.now() - started).toBeLessThan(5000);
      expect(broken.app.isReady()).toBe(false);
      const health = await restFetch(broken.url, { method: "GET", path: "/healthz" });
      expect(health.status).toBe(200);
      expect(health.text).toBe('{"status":"ok"}');
      const ready = await restFetch(broken.url, { method: "GET", path: "/readyz" });
      expect(ready.status).toBe(503);
      expect(ready.text).toBe(
        '{"status":"not_ready","rateLimitStore":"memory","replayStore":"memory"}',
      );
      expect(ready.headers instanceof Headers && ready.headers.get("cache-control")).toBe(
        "no-store",
      );
    } finally {
      await broken.close();
    }
  });
});
