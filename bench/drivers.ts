/**
 * One load driver per protocol. HTTP/1.1 throughput: autocannon. HTTP/2: connect-node's client
 * (Connect binary) and @grpc/grpc-js (gRPC), closed loop over one connection. Open-loop latency
 * runs and single checks over HTTP/1.1 use node:http with a keep-alive agent.
 */
import type { RefreshCustomerTokenResponse } from "../gen/worth/auth/v1/auth_service_pb.ts";
import { autocannonRun } from "./load/autocannon.ts";
import { closedLoop, type OpenLoopRun, openLoop } from "./load/drive.ts";
import {
  connectBinaryH2Client,
  grpcJsClient,
  type Http1Client,
  http1Client,
  type RpcClient,
} from "./load/rpc-clients.ts";
import type { LoadRun } from "./load/stats.ts";
import { token } from "./load/tokens.ts";
import { REST_PATH, RPC_PATH } from "./servers/bytes.ts";
import type { Protocol } from "./targets.ts";

export type Answer =
  | { kind: "json"; status: number; body: string }
  | { kind: "message"; message: RefreshCustomerTokenResponse };

export interface Driver {
  /** Closed loop for `durationMs`; request tokens are `${tag}${n}`. */
  closed(durationMs: number, concurrency: number, tag: string): Promise<LoadRun>;
  /** Open loop at `rate` requests per second. */
  open(rate: number, durationMs: number, tag: string): Promise<OpenLoopRun>;
  /** One request with this refresh token. */
  one(refreshToken: string): Promise<Answer>;
  close(): void;
}

const JSON_HEADERS = { "content-type": "application/json" };
const CONNECT_JSON_HEADERS = {
  "content-type": "application/json",
  "connect-protocol-version": "1",
};

export const LOAD_CLIENTS: Record<Protocol, string> = {
  "rest-h1": "autocannon 9 (HTTP/1.1, one request in flight per connection)",
  "connect-json-h1": "autocannon 9 (HTTP/1.1, one request in flight per connection)",
  "connect-binary-h2": "connect-node 2 createConnectTransport (HTTP/2, binary, one session)",
  "grpc-h2c": "@grpc/grpc-js 1.14 client (h2c, one channel)",
};

function http1Driver(protocol: "rest-h1" | "connect-json-h1", url: string): Driver {
  const rest = protocol === "rest-h1";
  const path = rest ? REST_PATH : RPC_PATH;
  const headers = rest ? JSON_HEADERS : CONNECT_JSON_HEADERS;
  const field = rest ? "refresh_token" : "refreshToken";
  let client: Http1Client | undefined;
  const post = (refreshToken: string) => {
    client ??= http1Client(url);
    return client.post(path, JSON.stringify({ [field]: refreshToken }), headers);
  };
  return {
    closed: (durationMs, connections) =>
      autocannonRun({ url, path, headers, field, connections, durationMs }),
    open: (rate, durationMs, tag) =>
      openLoop(
        async (seq) => {
          const { status } = await post(token(`${tag}${seq}`));
          if (status !== 200) throw new Error(`status ${status}`);
        },
        rate,
        durationMs,
      ),
    one: async (refreshToken) => ({ kind: "json", ...(await post(refreshToken)) }),
    close: () => client?.close(),
  };
}

function rpcDriver(client: RpcClient): Driver {
  const call = (tag: string) => async (seq: number) => {
    await client.call(token(`${tag}${seq}`));
  };
  return {
    closed: (durationMs, concurrency, tag) => closedLoop(call(tag), concurrency, durationMs),
    open: (rate, durationMs, tag) => openLoop(call(tag), rate, durationMs),
    one: async (refreshToken) => ({ kind: "message", message: await client.call(refreshToken) }),
    close: () => client.close(),
  };
}

export function createDriver(protocol: Protocol, port: number): Driver {
  const url = `http://127.0.0.1:${port}`;
  switch (protocol) {
    case "rest-h1":
    case "connect-json-h1":
      return http1Driver(protocol, url);
    case "connect-binary-h2":
      return rpcDriver(connectBinaryH2Client(url));
    case "grpc-h2c":
      return rpcDriver(grpcJsClient(port));
  }
}
