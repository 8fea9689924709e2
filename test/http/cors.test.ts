import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REST_PATH, RPC_PATH } from "../support/clients.ts";
import { startTestCognito, type TestCognito } from "../support/cognito-local.ts";
import { type RunningService, startService } from "../support/server.ts";

const APP = "https://app.example.com";
const EVIL = "https://evil.example.net";

function preflight(url: string, origin: string, headers = "content-type"): Promise<Response> {
  return fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": headers,
    },
  });
}

describe("CORS", () => {
  let cognito: TestCognito;
  let service: RunningService;
  let closed: RunningService;

  beforeAll(async () => {
    cognito = await startTestCognito();
    service = await startService({ ...cognito.env, CORS_ORIGINS: APP, CORS_MAX_AGE: "600" });
    closed = await startService(cognito.env);
  });
  afterAll(async () => {
    await service?.close();
    await closed?.close();
    await cognito?.stop();
  });

  it.each([REST_PATH, RPC_PATH])(
    "answers a preflight from a listed origin, with credentials, on %s",
    async (path) => {
      const response = await preflight(
        `${service.url}${path}`,
        APP,
        "content-type,connect-protocol-version,x-grpc-web,x-user-agent",
      );
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(APP);
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("access-control-allow-methods")).toContain("POST");
      const allowed = response.headers.get("access-control-allow-headers")?.toLowerCase() ?? "";
      for (const header of ["content-type", "connect-protocol-version", "x-grpc-web"]) {
        expect(allowed).toContain(header);
      }
      expect(response.headers.get("access-control-max-age")).toBe("600");
      expect(response.headers.get("vary")).toContain("Origin");
    },
  );

  it("never echoes an unlisted origin, on a preflight or a request", async () => {
    const pre = await preflight(`${service.url}${REST_PATH}`, EVIL);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
    const post = await fetch(`${service.url}${REST_PATH}`, {
      method: "POST",
      headers: { origin: EVIL, "content-type": "application/json" },
      body: "{}",
    });
    await post.body?.cancel();
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows a listed origin to read the answer and the headers Connect needs", async () => {
    const response = await fetch(`${service.url}${RPC_PATH}`, {
      method: "POST",
      headers: { origin: APP, "content-type": "application/json" },
      body: JSON.stringify({ refreshToken: await cognito.freshRefreshToken() }),
    });
    await response.body?.cancel();
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    const exposed = response.headers.get("access-control-expose-headers")?.toLowerCase() ?? "";
    expect(exposed).toContain("grpc-status");
    expect(exposed).toContain("retry-after");
  });

  it("gives no cross-origin access at all when CORS_ORIGINS is empty", async () => {
    const response = await preflight(`${closed.url}${REST_PATH}`, APP);
    await response.body?.cancel();
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses a simple form post from an unlisted origin that carries only the cookie", async () => {
    const response = await fetch(`${service.url}${REST_PATH}`, {
      method: "POST",
      headers: {
        origin: EVIL,
        "content-type": "application/x-www-form-urlencoded",
        cookie: `refresh_token=${await cognito.freshRefreshToken()}`,
      },
      body: "",
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('{"message":"Forbidden","errorCode":"ERR_FORBIDDEN"}');
  });
});
