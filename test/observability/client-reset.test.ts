// A client that gives up before its answer is `cancelled` on every face: over HTTP/2 a reset
// stream, over HTTP/1.1 a closed connection. Node's HTTP/2 compatibility layer emits "finish"
// for a stream the client reset, so an unanswered request must not be read as answered.

import { request as http1Request } from "node:http";
import { constants, connect as http2Connect } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REST_PATH, RPC_PATH } from "../support/clients.ts";
import { type Observed, startObserved } from "./harness.ts";

const REST = REST_PATH;
let obs: Observed;

beforeAll(async () => {
  obs = await startObserved({ LOG_LEVEL: "info" });
});
afterAll(async () => {
  await obs?.close();
});

/** Sends one request over HTTP/2 and resets its stream after `afterMs`. */
function resetOverHttp2(headers: Record<string, string>, body: Buffer | string, afterMs: number) {
  const session = http2Connect(obs.url);
  session.on("error", () => undefined);
  const stream = session.request(headers);
  stream.on("error", () => undefined);
  stream.end(body);
  return new Promise<void>((resolve) => {
    setTimeout(() => {
      stream.close(constants.NGHTTP2_CANCEL);
      session.close();
      resolve();
    }, afterMs);
  });
}

function grpcFrame(token: string): Buffer {
  // RefreshCustomerTokenRequest { refresh_token = 1 }: tag 0x0a, length, bytes.
  const field = Buffer.concat([Buffer.from([0x0a]), varint(token.length), Buffer.from(token)]);
  const frame = Buffer.alloc(5 + field.length);
  frame.writeUInt32BE(field.length, 1);
  field.copy(frame, 5);
  return frame;
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** auth_requests_total for one protocol's cancelled requests, as the metrics listener says. */
async function cancelledCount(protocol: string): Promise<number> {
  const text = await (await fetch(`${obs.metricsUrl}/metrics`)).text();
  const line = text
    .split("\n")
    .find(
      (l) =>
        l.startsWith("auth_requests_total{") &&
        l.includes(`protocol="${protocol}"`) &&
        l.includes('outcome="cancelled"'),
    );
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("a client that resets before its answer", () => {
  it.each([
    [
      "REST over HTTP/2",
      (id: string, token: string) =>
        resetOverHttp2(
          {
            ":method": "POST",
            ":path": REST,
            "content-type": "application/json",
            "x-request-id": id,
          },
          JSON.stringify({ refresh_token: token }),
          150,
        ),
    ],
    [
      "gRPC",
      (id: string, token: string) =>
        resetOverHttp2(
          {
            ":method": "POST",
            ":path": RPC_PATH,
            "content-type": "application/grpc",
            te: "trailers",
            "x-request-id": id,
          },
          grpcFrame(token),
          150,
        ),
    ],
    [
      "REST over HTTP/1.1",
      (id: string, token: string) =>
        new Promise<void>((resolve) => {
          const req = http1Request(`${obs.url}${REST}`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-request-id": id },
          });
          req.on("error", () => undefined);
          req.end(JSON.stringify({ refresh_token: token }));
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 150);
        }),
    ],
  ])("is logged and counted as cancelled: %s", async (face, send) => {
    obs.fake.script({ delayMs: 600 });
    const id = `reset-${face.replace(/\W+/g, "-")}`;
    const protocol = face === "gRPC" ? "grpc" : "rest";
    const before = await cancelledCount(protocol);
    await send(id, obs.fake.issueRefreshToken());
    const line = await obs.requestLine(id);
    expect(line.outcome).toBe("cancelled");
    expect(await cancelledCount(protocol)).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(obs.requestLines(id)).toHaveLength(1);
  });
});
