/**
 * Clients for the integration tests: REST over fetch (HTTP/1.1), node:http and node:http2,
 * the connect-node transports, and @grpc/grpc-js as an independent gRPC implementation.
 * Nothing here prints a token.
 */
import { request as http1Request } from "node:http";
import { connect as http2Connect } from "node:http2";
import { fileURLToPath } from "node:url";
import { type Client, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { validateRestResponse } from "./openapi.ts";

export const REST_PATH = "/auth/api/v1/refresh-token/customer";
export const RPC_PATH = "/worth.auth.v1.AuthService/RefreshCustomerToken";
export const JSON_TYPE = { "content-type": "application/json" };
export const MISSING_TOKEN_BODY =
  '{"status":"fail","message":"Refresh Token is Required","errorCode":"INVALID","data":{"errorName":"SignInApiError"}}';
export const UNAUTHORIZED_BODY = '{"message":"Unauthorized","errorCode":"ERR_UNAUTHORIZED"}';

/** Message text the emulator or Cognito use; none of it may reach a client. */
export const PROVIDER_TEXT =
  /User not authorized|Refresh Token has been revoked|Invalid Refresh Token|NotAuthorized|UserNotFound/i;

type HeaderMap = Record<string, string | string[] | number | undefined>;

export interface RestResult {
  status: number;
  headers: Headers | HeaderMap;
  text: string;
  /** The body as parsed by validateRestResponse: the response matched the OpenAPI document. */
  body: unknown;
}

export interface RestRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

function checked(
  method: string,
  path: string,
  status: number,
  headers: RestResult["headers"],
  text: string,
): RestResult {
  const body = validateRestResponse({ method, path, status, headers, body: text });
  return { status, headers, text, body };
}

/** REST over HTTP/1.1 with fetch; the response is validated against the OpenAPI document. */
export async function restFetch(baseUrl: string, req: RestRequest = {}): Promise<RestResult> {
  const { method = "POST", path = REST_PATH, headers, body } = req;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  return checked(method, path, response.status, response.headers, text);
}

/** REST over node:http: for bodies the server may refuse before reading them all. */
export function restHttp1(baseUrl: string, req: RestRequest = {}): Promise<RestResult> {
  const { method = "POST", path = REST_PATH, headers = {}, body } = req;
  return new Promise((resolve, reject) => {
    const outgoing = http1Request(`${baseUrl}${path}`, { method, headers, agent: false });
    let responded = false;
    outgoing.on("response", (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve(checked(method, path, res.statusCode ?? 0, res.headers as HeaderMap, text));
        } catch (error) {
          reject(error);
        }
      });
      res.on("error", reject);
    });
    // The server may stop reading an oversized body and close: the response still counts.
    outgoing.on("error", (error) => {
      if (!responded) reject(error);
    });
    outgoing.end(body);
  });
}

/** REST over cleartext HTTP/2 (prior knowledge) with node:http2. */
export function restHttp2(baseUrl: string, req: RestRequest = {}): Promise<RestResult> {
  const { method = "POST", path = REST_PATH, headers = {}, body } = req;
  const session = http2Connect(baseUrl);
  return new Promise<RestResult>((resolve, reject) => {
    session.on("error", reject);
    const stream = session.request({ ":method": method, ":path": path, ...headers });
    let responseHeaders: HeaderMap = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      responseHeaders = h as HeaderMap;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        const status = Number(responseHeaders[":status"]);
        resolve(checked(method, path, status, responseHeaders, text));
      } catch (error) {
        reject(error);
      }
    });
    stream.on("error", reject);
    stream.end(body);
  }).finally(() => session.close());
}

export function isJwt(value: unknown): boolean {
  return typeof value === "string" && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value);
}

/** The payload of a JWT (claims only: no signature, nothing secret to print). */
export function claims(jwt: unknown): Record<string, unknown> {
  const payload = String(jwt).split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
}

export type AuthClient = Client<typeof AuthService>;

type MakeTransport = (baseUrl: string) => Transport;

/** Every connect-node transport the service must answer, by name. */
export const RPC_TRANSPORTS: ReadonlyArray<readonly [string, MakeTransport]> = [
  [
    "Connect JSON over HTTP/1.1",
    (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  ],
  ["Connect JSON over HTTP/2", (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2" })],
  [
    "Connect binary over HTTP/1.1",
    (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }),
  ],
  [
    "Connect binary over HTTP/2",
    (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  ],
  ["gRPC over HTTP/2", (baseUrl) => createGrpcTransport({ baseUrl })],
  ["gRPC-Web over HTTP/1.1", (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })],
  ["gRPC-Web over HTTP/2", (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "2" })],
];

export function rpcClient(transport: Transport): AuthClient {
  return createClient(AuthService, transport);
}

export function connectClient(baseUrl: string, httpVersion: "1.1" | "2" = "1.1"): AuthClient {
  return createClient(AuthService, createConnectTransport({ baseUrl, httpVersion }));
}

export interface GrpcJsResponse {
  accessToken: string;
  idToken: string;
  expiresIn: number;
  tokenType: string;
  refreshToken: string;
}

export interface GrpcJsClient {
  refresh(refreshToken: string): Promise<GrpcJsResponse>;
  revoke(refreshToken: string): Promise<void>;
  close(): void;
}

/** An independent gRPC client: @grpc/grpc-js with the .proto loaded at run time. */
export function grpcJsClient(port: number): GrpcJsClient {
  const root = (dir: string) => fileURLToPath(new URL(`../../${dir}`, import.meta.url));
  const definition = loadSync("worth/auth/v1/auth_service.proto", {
    includeDirs: [root("proto"), root("node_modules/google-proto-files")],
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    worth: { auth: { v1: { AuthService: grpc.ServiceClientConstructor } } };
  };
  const Ctor = loaded.worth.auth.v1.AuthService;
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client &
    Record<string, grpc.requestCallback<GrpcJsResponse> | ((...args: unknown[]) => unknown)>;
  const unary = <T>(method: string, req: unknown) =>
    new Promise<T>((resolve, reject) => {
      const call = client[method] as (
        req: unknown,
        cb: (error: grpc.ServiceError | null, res?: T) => void,
      ) => void;
      call.call(client, req, (error, res) => (error || !res ? reject(error) : resolve(res)));
    });
  return {
    refresh: (refreshToken) => unary<GrpcJsResponse>("RefreshCustomerToken", { refreshToken }),
    revoke: async (refreshToken) => {
      await unary<object>("RevokeCustomerToken", { refreshToken });
    },
    close: () => client.close(),
  };
}

/** The error a call failed with; a call that succeeds fails the test without printing tokens. */
export async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export async function grpcJsError(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** A raw Connect unary call (JSON), to see the bytes of an error on the wire. */
export async function connectFetch(
  baseUrl: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${baseUrl}${RPC_PATH}`, {
    method: "POST",
    headers: { ...JSON_TYPE, ...headers },
    body,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Every Set-Cookie of a response, from fetch's Headers or a node header map. */
export function setCookies(headers: RestResult["headers"]): string[] {
  if (headers instanceof Headers) {
    return headers.getSetCookie();
  }
  const value = headers["set-cookie"];
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? value.map(String) : [String(value)];
}
