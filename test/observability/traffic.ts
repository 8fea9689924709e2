/**
 * Drives requests at the observed service over REST, Connect, gRPC and gRPC-Web, keeping for
 * each what its log line must say, the X-Request-Id that came back, the status or code it was
 * answered (beside the one its path must get), and every secret the request sent or received
 * (tokens, cookie and Authorization values) for the leak search.
 * Every request carries an Authorization header (the last access token) and an unrelated
 * cookie: neither may be logged. Nothing here prints a token.
 */
import { randomBytes } from "node:crypto";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { Health } from "../../gen/health/v1/health_pb.ts";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { JSON_TYPE, REST_PATH, RPC_PATH, restHttp1, restHttp2 } from "../support/clients.ts";
import type { Observed } from "./harness.ts";

export interface Expected {
  id: string;
  protocol: string;
  route: string;
  outcome: string;
  status: number;
  code?: string;
  /** The request made its own upstream call, with this many attempts. */
  attempts?: number;
  coalesced?: boolean;
  echoed: string | null;
  /** The client stopped waiting at its own deadline: it never saw the answer's headers. */
  clientGaveUp?: boolean;
}

/** What one request was answered beside what its path must answer, named by the request. */
export interface Answer {
  what: string;
  got: unknown;
  want: unknown;
}

type Rpc = "connect" | "grpc" | "grpc-web";

const TRANSPORTS: Record<Rpc, (url: string) => Transport> = {
  connect: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  grpc: (baseUrl) => createGrpcTransport({ baseUrl }),
  "grpc-web": (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
};

// Connect maps codes to HTTP statuses; gRPC and gRPC-Web answer 200 whatever the code.
const CONNECT_STATUS: Record<string, number> = {
  ok: 200,
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  resource_exhausted: 429,
  internal: 500,
  unavailable: 503,
  deadline_exceeded: 504,
};

const pascal = (code: string) =>
  code.replace(/(^|_)([a-z])/g, (_, _sep: string, c: string) => c.toUpperCase());

const cookieValue = (setCookie: string | null | undefined) =>
  setCookie?.split(";")[0]?.split("=").slice(1).join("=");

export type Traffic = ReturnType<typeof createTraffic>;

export function createTraffic(obs: Observed) {
  const secrets = new Map<string, string>();
  const made: Expected[] = [];
  // Compared in a test of their own, not while the traffic is driven from a hook.
  const answers: Answer[] = [];
  let sequence = 0;
  let bearer = "";
  const otherCookie = `session=${randomBytes(24).toString("base64url")}`;

  const remember = (label: string, value: string | null | undefined) => {
    if (value) secrets.set(`${label} #${secrets.size}`, value);
  };
  const idFor = (what: string) => `obs-${what}-${++sequence}`;
  const credentials = (cookie?: string) => {
    const headers: Record<string, string> = {
      cookie: cookie ? `${otherCookie}; ${cookie}` : otherCookie,
    };
    if (bearer) headers.authorization = bearer;
    remember("cookie header", headers.cookie);
    remember("authorization header", headers.authorization);
    return headers;
  };
  const rememberRest = (text: string, headers: Record<string, unknown>) => {
    try {
      const data = (JSON.parse(text) as { data?: Record<string, unknown> }).data ?? {};
      for (const key of ["access_token", "id_token", "refresh_token"]) {
        remember(`${key} returned`, data[key] as string | undefined);
      }
      if (typeof data.access_token === "string") bearer = `Bearer ${data.access_token}`;
    } catch {
      // Not JSON: nothing returned to remember.
    }
    for (const cookie of [headers["set-cookie"] ?? []].flat()) {
      remember("set-cookie value", cookieValue(String(cookie)));
    }
  };

  return {
    secrets,
    made,
    answers,
    remember,
    /** A refresh token the fake accepts, remembered as a secret. */
    fresh(): string {
      const token = obs.fake.issueRefreshToken();
      remember("refresh token sent", token);
      return token;
    },

    async rest(
      what: string,
      body: string,
      expected: Omit<Expected, "id" | "echoed" | "protocol" | "route">,
      options: {
        headers?: Record<string, string>;
        cookie?: string;
        http2?: boolean;
        path?: string;
      } = {},
    ): Promise<void> {
      const id = idFor(what);
      const headers = { "x-request-id": id, ...credentials(options.cookie), ...options.headers };
      const path = options.path ?? REST_PATH;
      const res = await (options.http2 ? restHttp2 : restHttp1)(obs.url, { headers, body, path });
      const map = res.headers as Record<string, unknown>;
      rememberRest(res.text, map);
      answers.push({ what, got: res.status, want: expected.status });
      const echoed = String(map["x-request-id"] ?? "");
      made.push({ id, protocol: "rest", route: path, ...expected, echoed });
    },

    async rpc(
      protocol: Rpc,
      what: string,
      refreshToken: string,
      expected: Omit<Expected, "id" | "echoed" | "protocol" | "route" | "status">,
      options: { cookie?: string; timeoutMs?: number; grpcTimeout?: string } = {},
    ): Promise<void> {
      const id = idFor(what);
      const client = createClient(AuthService, TRANSPORTS[protocol](obs.url));
      // A deadline only the server keeps (the client sends grpc-timeout but sets no timer of
      // its own), so the answer is the server's, not a race with the client's reset.
      const deadline: Record<string, string> = options.grpcTimeout
        ? { "grpc-timeout": options.grpcTimeout }
        : {};
      let echoed: string | null = null;
      try {
        const res = await client.refreshCustomerToken(
          { refreshToken },
          {
            headers: { "x-request-id": id, ...credentials(options.cookie), ...deadline },
            onHeader: (headers) => {
              echoed = headers.get("x-request-id");
              remember("set-cookie value", cookieValue(headers.get("set-cookie")));
            },
            timeoutMs: options.timeoutMs,
          },
        );
        remember("access token returned", res.accessToken);
        remember("id token returned", res.idToken);
        remember("refresh token returned", res.refreshToken);
        answers.push({ what, got: "ok", want: expected.code });
      } catch (error) {
        const failure = ConnectError.from(error);
        echoed ??= failure.metadata.get("x-request-id");
        answers.push({ what, got: Code[failure.code], want: pascal(expected.code ?? "") });
      }
      const status = protocol === "connect" ? (CONNECT_STATUS[expected.code ?? ""] ?? 0) : 200;
      const clientGaveUp = options.timeoutMs !== undefined;
      made.push({ id, protocol, route: RPC_PATH, ...expected, status, echoed, clientGaveUp });
    },

    /** A Connect call as raw bytes: for bodies a client library would not send. */
    async connectRaw(
      what: string,
      body: string,
      expected: { outcome: string; status: number; code: string },
      headers: Record<string, string> = {},
    ): Promise<void> {
      const id = idFor(what);
      const res = await fetch(`${obs.url}${RPC_PATH}`, {
        method: "POST",
        headers: { ...JSON_TYPE, "x-request-id": id, ...credentials(), ...headers },
        body,
      });
      await res.arrayBuffer();
      answers.push({ what, got: res.status, want: expected.status });
      const echoed = res.headers.get("x-request-id");
      made.push({ id, protocol: "connect", route: RPC_PATH, ...expected, echoed });
    },

    /** A plain HTTP request to a route that is not a refresh. */
    async http(
      what: string,
      path: string,
      expected: { route: string; outcome: string; status: number },
      init: { method?: string; body?: string } = {},
    ): Promise<void> {
      const id = idFor(what);
      const headers = { "x-request-id": id, ...credentials() };
      const res = await fetch(`${obs.url}${path}`, { ...init, headers });
      await res.arrayBuffer();
      answers.push({ what, got: res.status, want: expected.status });
      const echoed = res.headers.get("x-request-id");
      made.push({ id, protocol: "http", ...expected, echoed });
    },

    /** grpc.health.v1.Health/Check over gRPC: a procedure that is not ours. */
    async healthCheck(): Promise<void> {
      const id = idFor("grpc-health");
      let echoed: string | null = null;
      const client = createClient(Health, createGrpcTransport({ baseUrl: obs.url }));
      await client.check(
        { service: "" },
        {
          headers: { "x-request-id": id },
          onHeader: (headers) => {
            echoed = headers.get("x-request-id");
          },
        },
      );
      const route = "/grpc.health.v1.Health/Check";
      made.push({
        id,
        protocol: "grpc",
        route,
        outcome: "success",
        status: 200,
        code: "ok",
        echoed,
      });
    },
  };
}
