/**
 * The HTTP/2 load clients: connect-node (Connect binary over HTTP/2, one session) and
 * @grpc/grpc-js (gRPC over cleartext HTTP/2, one channel); plus a plain node:http client with
 * a keep-alive agent for open-loop HTTP/1.1 requests. Each exposes call(token) and close().
 */
import { Agent, request } from "node:http";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import {
  AuthService,
  RefreshCustomerTokenRequestSchema,
  type RefreshCustomerTokenResponse,
  RefreshCustomerTokenResponseSchema,
} from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { RPC_PATH } from "../servers/bytes.ts";

export interface RpcClient {
  call(refreshToken: string): Promise<RefreshCustomerTokenResponse>;
  close(): void;
}

export function connectBinaryH2Client(baseUrl: string): RpcClient {
  const transport = createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true });
  const client = createClient(AuthService, transport);
  return {
    call: (refreshToken) => client.refreshCustomerToken({ refreshToken }),
    close: () => undefined,
  };
}

export function grpcJsClient(port: number): RpcClient {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const serialize = (refreshToken: string) =>
    Buffer.from(
      toBinary(
        RefreshCustomerTokenRequestSchema,
        create(RefreshCustomerTokenRequestSchema, { refreshToken }),
      ),
    );
  const deserialize = (bytes: Buffer) => fromBinary(RefreshCustomerTokenResponseSchema, bytes);
  return {
    call: (refreshToken) =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest(RPC_PATH, serialize, deserialize, refreshToken, (error, value) =>
          error || !value ? reject(error ?? new Error("no response")) : resolve(value),
        );
      }),
    close: () => client.close(),
  };
}

export interface Http1Client {
  /** Resolves with the status and body of one POST. */
  post(
    path: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string }>;
  close(): void;
}

export function http1Client(url: string, maxSockets = 256): Http1Client {
  const agent = new Agent({ keepAlive: true, maxSockets });
  return {
    post: (path, body, headers) =>
      new Promise((resolve, reject) => {
        const req = request(`${url}${path}`, {
          method: "POST",
          agent,
          headers: { ...headers, "content-length": Buffer.byteLength(body) },
        });
        req.on("response", (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}
