/**
 * Every way a refresh is refused, over REST, Connect and gRPC, against a real cognito-local:
 * the documented bodies and codes, no provider text in them, and the server still up after.
 */
import {
  AdminDeleteUserCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { Code } from "@connectrpc/connect";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthClient,
  connectClient,
  connectFetch,
  type GrpcJsClient,
  grpcJsClient,
  grpcJsError,
  JSON_TYPE,
  MISSING_TOKEN_BODY,
  PROVIDER_TEXT,
  restFetch,
  restHttp1,
  restHttp2,
  rpcError,
  UNAUTHORIZED_BODY,
} from "../support/clients.ts";
import { startTestCognito, type TestCognito } from "../support/cognito-local.ts";
import { validateRestResponse } from "../support/openapi.ts";
import { type RunningService, startService } from "../support/server.ts";

let cognito: TestCognito;
let service: RunningService;
let connect: AuthClient;
let connectH2: AuthClient;
let grpcJs: GrpcJsClient;

beforeAll(async () => {
  cognito = await startTestCognito();
  // No replay window: a token revoked at Cognito is refused at once here. Within the window
  // the answer already issued is given again (test/refresh/replay-window.test.ts).
  service = await startService({ ...cognito.env, REFRESH_REPLAY_SECONDS: "0" });
  connect = connectClient(service.url, "1.1");
  connectH2 = connectClient(service.url, "2");
  grpcJs = grpcJsClient(service.port);
});

afterAll(async () => {
  grpcJs?.close();
  await service?.close();
  await cognito?.stop();
});

const withToken = (token: string) => ({
  headers: JSON_TYPE,
  body: JSON.stringify({ refresh_token: token }),
});

/** REST, Connect and gRPC all refuse `token` as unauthenticated, in the documented words. */
async function expectRefusedEverywhere(token: string): Promise<void> {
  for (const send of [restFetch, restHttp2]) {
    const result = await send(service.url, withToken(token));
    expect(result.status).toBe(401);
    expect(result.text).toBe(UNAUTHORIZED_BODY);
  }
  const raw = await connectFetch(service.url, JSON.stringify({ refreshToken: token }));
  expect(raw.status).toBe(401);
  expect(JSON.parse(raw.text)).toEqual({ code: "unauthenticated", message: "Unauthorized" });
  expect(raw.text).not.toMatch(PROVIDER_TEXT);
  const error = await rpcError(connectH2.refreshCustomerToken({ refreshToken: token }));
  expect(error.code).toBe(Code.Unauthenticated);
  expect(error.rawMessage).toBe("Unauthorized");
  const grpcError = await grpcJsError(grpcJs.refresh(token));
  expect(grpcError.code).toBe(GrpcStatus.UNAUTHENTICATED);
  expect(grpcError.details).toBe("Unauthorized");
}

describe("tokens the provider refuses", () => {
  it("answers 401 / unauthenticated for a garbage token the provider does not know", async () => {
    await expectRefusedEverywhere("not-a-real-refresh-token");
  });

  it("answers 401 / unauthenticated for a token that cannot be a token at all", async () => {
    await expectRefusedEverywhere("garbage token with spaces!");
  });

  it("answers 401 once the refresh token has been revoked", async () => {
    const customer = await cognito.createCustomer();
    expect((await restFetch(service.url, withToken(customer.refreshToken))).status).toBe(200);
    await cognito.adminClient.send(
      new RevokeTokenCommand({ ClientId: cognito.clientId, Token: customer.refreshToken }),
    );
    await expectRefusedEverywhere(customer.refreshToken);
  });

  it("answers 401 once the customer has been deleted", async () => {
    const customer = await cognito.createCustomer();
    expect((await restFetch(service.url, withToken(customer.refreshToken))).status).toBe(200);
    await cognito.adminClient.send(
      new AdminDeleteUserCommand({ UserPoolId: cognito.userPoolId, Username: customer.username }),
    );
    await expectRefusedEverywhere(customer.refreshToken);
  });

  it("never passes on the provider's own error text", async () => {
    // The emulator does have words for this refusal; the service must not repeat them.
    const upstream = await cognito.adminClient
      .send(
        new InitiateAuthCommand({
          ClientId: cognito.clientId,
          AuthFlow: "REFRESH_TOKEN_AUTH",
          AuthParameters: { REFRESH_TOKEN: "not-a-real-refresh-token" },
        }),
      )
      .then(
        () => "accepted",
        (error: Error) => `${error.name}: ${error.message}`,
      );
    expect(upstream).toMatch(PROVIDER_TEXT);
    const result = await restFetch(service.url, withToken("not-a-real-refresh-token"));
    expect(result.text).not.toMatch(PROVIDER_TEXT);
  });
});

describe("requests without a token", () => {
  it.each([
    ["an empty body", ""],
    ["an empty object", "{}"],
    ["a blank refresh_token", '{"refresh_token":"   "}'],
    ["a null refresh_token", '{"refresh_token":null}'],
  ])("answer the documented 400 body byte for byte for %s", async (_label, body) => {
    const result = await restFetch(service.url, { headers: JSON_TYPE, body });
    expect(result.status).toBe(400);
    expect(result.text).toBe(MISSING_TOKEN_BODY);
  });

  it("answer the documented 400 body when there is no body at all (HTTP/1.1 and HTTP/2)", async () => {
    for (const send of [restFetch, restHttp2]) {
      const result = await send(service.url, {});
      expect(result.status).toBe(400);
      expect(result.text).toBe(MISSING_TOKEN_BODY);
    }
  });

  it("answer invalid_argument over Connect for {}", async () => {
    const raw = await connectFetch(service.url, "{}");
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.text)).toEqual({
      code: "invalid_argument",
      message: "Refresh Token is Required",
    });
    const error = await rpcError(connect.refreshCustomerToken({}));
    expect(error.code).toBe(Code.InvalidArgument);
    const blank = await grpcJsError(grpcJs.refresh("   "));
    expect(blank.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});

describe("malformed requests", () => {
  it.each([
    ["malformed JSON", '{"refresh_token":', "Request body must be valid JSON"],
    ["a number token", '{"refresh_token":42}', "refresh_token must be a string"],
    ["an array token", '{"refresh_token":["a"]}', "refresh_token must be a string"],
    ["an object token", '{"refresh_token":{"a":1}}', "refresh_token must be a string"],
    ["a number alias", '{"refreshToken":42}', "refreshToken must be a string"],
    ["a body that is an array", "[]", "Request body must be a JSON object"],
    ["a body that is a string", '"token"', "Request body must be a JSON object"],
  ])("answer 400 with the sign-in envelope for %s", async (_label, body, message) => {
    const result = await restFetch(service.url, { headers: JSON_TYPE, body });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({
      status: "fail",
      message,
      errorCode: "INVALID",
      data: { errorName: "SignInApiError" },
    });
  });

  it("answer 413 to a REST body over 64 KiB, declared or streamed", async () => {
    const body = JSON.stringify({ refresh_token: "a".repeat(70_000) });
    const expected = { message: "Payload Too Large", errorCode: "ERR_PAYLOAD_TOO_LARGE" };
    const declared = await restHttp1(service.url, { headers: JSON_TYPE, body });
    expect(declared.status).toBe(413);
    expect(declared.body).toEqual(expected);
    // node:http2 sends no content-length: the limit must hold while reading, too.
    const streamed = await restHttp2(service.url, { headers: JSON_TYPE, body });
    expect(streamed.status).toBe(413);
    expect(streamed.body).toEqual(expected);
  });

  it("answer resource_exhausted to a Connect message over 64 KiB", async () => {
    const error = await rpcError(
      connect.refreshCustomerToken({ refreshToken: "a".repeat(70_000) }),
    );
    expect(error.code).toBe(Code.ResourceExhausted);
  });

  it("answer 405 with Allow: POST to GET on the REST route", async () => {
    const result = await restFetch(service.url, { method: "GET" });
    expect(result.status).toBe(405);
    expect(result.headers instanceof Headers && result.headers.get("allow")).toBe("POST");
    expect(result.body).toEqual({
      message: "Method Not Allowed",
      errorCode: "ERR_METHOD_NOT_ALLOWED",
    });
  });

  it("answer 404 to an unknown path", async () => {
    for (const [method, path] of [
      ["GET", "/nope"],
      ["POST", "/auth/api/v1/refresh-token/employee"],
    ] as const) {
      const response = await fetch(`${service.url}${path}`, { method, headers: JSON_TYPE });
      const text = await response.text();
      expect(response.status).toBe(404);
      expect(JSON.parse(text)).toEqual({ message: "Not Found", errorCode: "ERR_NOT_FOUND" });
      // The contract does not know these paths: validation must say so rather than pass.
      expect(() =>
        validateRestResponse({ method, path, status: 404, headers: response.headers, body: text }),
      ).toThrow(/no documented path/);
    }
  });
});

describe("after all of that", () => {
  it("still answers a good refresh on every face", async () => {
    const token = await cognito.freshRefreshToken();
    const rest = await restFetch(service.url, withToken(token));
    expect(rest.status).toBe(200);
    expect(rest.text).not.toMatch(PROVIDER_TEXT);
    const rpc = await connectH2.refreshCustomerToken({ refreshToken: token });
    expect(rpc.tokenType).toBe("Bearer");
    const grpc = await grpcJs.refresh(token);
    expect(grpc.tokenType).toBe("Bearer");
    expect(service.app.isReady()).toBe(true);
  });
});
