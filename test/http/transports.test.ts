/**
 * One refresh, every way in: REST (HTTP/1.1 and HTTP/2), Connect JSON and binary, gRPC and
 * gRPC-Web through connect-node, and gRPC through @grpc/grpc-js, all against a real
 * cognito-local. Tokens are asserted on, never printed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  claims,
  type GrpcJsClient,
  grpcJsClient,
  isJwt,
  JSON_TYPE,
  type RestResult,
  RPC_TRANSPORTS,
  restFetch,
  restHttp2,
  rpcClient,
} from "../support/clients.ts";
import { startTestCognito, type TestCognito } from "../support/cognito-local.ts";
import { type RunningService, startService } from "../support/server.ts";

interface TokenPair {
  accessToken: unknown;
  idToken: unknown;
  expiresIn: unknown;
  tokenType: unknown;
}

let cognito: TestCognito;
let service: RunningService;
let grpcJs: GrpcJsClient | undefined;
let refreshToken: string;

beforeAll(async () => {
  cognito = await startTestCognito();
  service = await startService(cognito.env);
  refreshToken = await cognito.freshRefreshToken();
});

afterAll(async () => {
  grpcJs?.close();
  await service?.close();
  await cognito?.stop();
});

/** What every transport must deliver: a verified-looking pair for the demo customer. */
function expectFreshTokens(tokens: TokenPair): void {
  expect(isJwt(tokens.accessToken)).toBe(true);
  expect(isJwt(tokens.idToken)).toBe(true);
  const issuer = `${cognito.endpoint}/${cognito.userPoolId}`;
  const access = claims(tokens.accessToken);
  expect(access.token_use).toBe("access");
  expect(access.client_id).toBe(cognito.clientId);
  expect(access.iss).toBe(issuer);
  expect(access.sub).toBe(cognito.demo.username);
  expect(Number(access.exp)).toBeGreaterThan(Date.now() / 1000);
  const id = claims(tokens.idToken);
  expect(id.token_use).toBe("id");
  expect(id.aud).toBe(cognito.clientId);
  expect(id.iss).toBe(issuer);
  expect(id["custom:id"]).toBe(cognito.demo.customerId);
  // cognito-local sends no ExpiresIn: the service derives it from the access token's exp.
  expect(tokens.expiresIn).toBeGreaterThanOrEqual(3599);
  expect(tokens.expiresIn).toBeLessThanOrEqual(3600);
  expect(tokens.tokenType).toBe("Bearer");
}

function expectRestSuccess(result: RestResult): void {
  expect(result.status).toBe(200);
  // Key order is part of the contract: clients diff raw bodies.
  expect(result.text).toMatch(
    /^\{"status":"success","message":"Success","data":\{"access_token":"[^"]+","id_token":"[^"]+","expires_in":\d+,"token_type":"Bearer"\}\}$/,
  );
  const body = result.body as { data: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(["status", "message", "data"]);
  expect(Object.keys(body.data)).toEqual(["access_token", "id_token", "expires_in", "token_type"]);
  // The emulator does not rotate, so no refresh token comes back.
  expect("refresh_token" in body.data).toBe(false);
  expectFreshTokens({
    accessToken: body.data.access_token,
    idToken: body.data.id_token,
    expiresIn: body.data.expires_in,
    tokenType: body.data.token_type,
  });
}

describe("REST refresh against cognito-local", () => {
  it("returns a fresh token pair over HTTP/1.1 (fetch)", async () => {
    const result = await restFetch(service.url, {
      headers: JSON_TYPE,
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    expectRestSuccess(result);
    expect(result.headers instanceof Headers && result.headers.get("cache-control")).toBe(
      "no-store",
    );
  });

  it("returns a fresh token pair over cleartext HTTP/2 (node:http2)", async () => {
    const result = await restHttp2(service.url, {
      headers: JSON_TYPE,
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    expectRestSuccess(result);
  });

  it("accepts the refreshToken alias in the body", async () => {
    const result = await restFetch(service.url, {
      headers: JSON_TYPE,
      body: JSON.stringify({ refreshToken }),
    });
    expectRestSuccess(result);
  });
});

describe("RPC refresh against cognito-local", () => {
  it.each(RPC_TRANSPORTS)("returns a fresh token pair over %s", async (_name, makeTransport) => {
    const client = rpcClient(makeTransport(service.url));
    const headers: Headers[] = [];
    const response = await client.refreshCustomerToken(
      { refreshToken },
      { onHeader: (h) => headers.push(h) },
    );
    expectFreshTokens(response);
    expect(response.refreshToken).toBe("");
    expect(headers[0]?.get("cache-control")).toBe("no-store");
  });

  it("returns a fresh token pair to @grpc/grpc-js, an independent gRPC client", async () => {
    grpcJs = grpcJsClient(service.port);
    const response = await grpcJs.refresh(refreshToken);
    expectFreshTokens(response);
    expect(response.refreshToken).toBe("");
  });
});
