/**
 * One refresh over any of the service's faces (REST, Connect, gRPC, gRPC-Web), reduced to one
 * shape so load tests can mix them and compare answers. Tokens stay in values, never in
 * messages, so a failing assertion prints counts and codes, not credentials.
 */
import { connect } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import {
  type AuthClient,
  JSON_TYPE,
  REST_PATH,
  RPC_PATH,
  RPC_TRANSPORTS,
  restFetch,
  rpcClient,
} from "../../support/clients.ts";

export type Outcome =
  | { kind: "ok"; accessToken: string; idToken: string; refreshToken: string | undefined }
  | { kind: "rest-error"; status: number; text: string; retryAfter: string | null }
  | { kind: "rpc-error"; code: number; message: string; retryAfter: string | null };

export type Send = (token: string, headers?: Record<string, string>) => Promise<Outcome>;

export interface Channel {
  name: string;
  send: Send;
}

interface RestData {
  data: { access_token: string; id_token: string; refresh_token?: string };
}

function viaRest(baseUrl: string): Send {
  return async (token, headers = {}) => {
    const result = await restFetch(baseUrl, {
      headers: { ...JSON_TYPE, ...headers },
      body: JSON.stringify({ refresh_token: token }),
    });
    if (result.status === 200) {
      const { data } = result.body as RestData;
      return {
        kind: "ok",
        accessToken: data.access_token,
        idToken: data.id_token,
        refreshToken: data.refresh_token,
      };
    }
    const retryAfter = result.headers instanceof Headers ? result.headers.get("retry-after") : null;
    return { kind: "rest-error", status: result.status, text: result.text, retryAfter };
  };
}

function viaRpc(client: AuthClient): Send {
  return async (token, headers = {}) => {
    try {
      const res = await client.refreshCustomerToken({ refreshToken: token }, { headers });
      return {
        kind: "ok",
        accessToken: res.accessToken,
        idToken: res.idToken,
        refreshToken: res.refreshToken || undefined,
      };
    } catch (error) {
      const failure = ConnectError.from(error);
      return {
        kind: "rpc-error",
        code: failure.code,
        message: failure.rawMessage,
        retryAfter: failure.metadata.get("retry-after"),
      };
    }
  };
}

/** REST over fetch plus every connect-node transport (Connect, gRPC, gRPC-Web), one each. */
export function channels(baseUrl: string): Channel[] {
  return [
    { name: "REST over HTTP/1.1", send: viaRest(baseUrl) },
    ...RPC_TRANSPORTS.map(([name, make]) => ({ name, send: viaRpc(rpcClient(make(baseUrl))) })),
  ];
}

/** `count` sends at once, round-robin over the channels; `token(i)` picks each one's token. */
export function burst(
  all: readonly Channel[],
  count: number,
  token: (i: number) => string,
  headers?: (i: number) => Record<string, string>,
): Promise<Outcome[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const channel = all[i % all.length] as Channel;
      return channel.send(token(i), headers?.(i));
    }),
  );
}

/** How many outcomes of each kind: a readable summary for assertions. */
export function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key =
      outcome.kind === "ok"
        ? "ok"
        : outcome.kind === "rest-error"
          ? `rest ${outcome.status}`
          : `rpc ${outcome.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export const TOO_MANY_BODY = '{"message":"Too Many Requests","errorCode":"ERR_TOO_MANY_REQUESTS"}';
export const UNAUTHORIZED_BODY = '{"message":"Unauthorized","errorCode":"ERR_UNAUTHORIZED"}';

/** The successful outcomes only. */
export function oks(outcomes: readonly Outcome[]) {
  return outcomes.flatMap((outcome) => (outcome.kind === "ok" ? [outcome] : []));
}

export function isRateLimited(outcome: Outcome): boolean {
  return (
    (outcome.kind === "rest-error" && outcome.status === 429) ||
    (outcome.kind === "rpc-error" && outcome.code === Code.ResourceExhausted)
  );
}

/** A rate-limit refusal in the documented form: 429 + body or resource_exhausted, Retry-After. */
export function expectRateLimited(outcome: Outcome, maxSeconds: number, minSeconds = 1): void {
  if (outcome.kind === "ok") throw new Error("expected a rate-limited answer, got a success");
  if (outcome.kind === "rest-error") {
    expect(outcome.status).toBe(429);
    expect(outcome.text).toBe(TOO_MANY_BODY);
  } else {
    expect(outcome.code).toBe(Code.ResourceExhausted);
    expect(outcome.message).toBe("Too Many Requests");
  }
  const seconds = Number(outcome.retryAfter);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThanOrEqual(minSeconds);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
}

/** A refusal of the token in the documented form: 401 + body or unauthenticated. */
export function expectUnauthorized(outcome: Outcome): void {
  if (outcome.kind === "ok") throw new Error("expected a refusal, got a success");
  if (outcome.kind === "rest-error") {
    expect(outcome.status).toBe(401);
    expect(outcome.text).toBe(UNAUTHORIZED_BODY);
  } else {
    expect(outcome.code).toBe(Code.Unauthenticated);
    expect(outcome.message).toBe("Unauthorized");
  }
}

/**
 * A complete refresh request over raw HTTP/1.1 (REST or Connect JSON) whose connection is
 * reset (TCP RST) as soon as the bytes are written: the client never reads an answer.
 */
export function sendAndReset(port: number, face: "rest" | "connect", token: string): Promise<void> {
  const [path, body] =
    face === "rest"
      ? [REST_PATH, JSON.stringify({ refresh_token: token })]
      : [RPC_PATH, JSON.stringify({ refreshToken: token })];
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`;
  const raw = `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(raw, () => {
        socket.resetAndDestroy();
        resolve();
      });
    });
    socket.on("error", reject);
  });
}
