/**
 * The server's own timeouts: a slow or silent client cannot hold a socket.
 * HEADERS_TIMEOUT_MS 500, REQUEST_TIMEOUT_MS 1000, IDLE_TIMEOUT_MS 1000 (the smallest allowed),
 * seen from raw TCP sockets and node:http2 sessions. And the other side of it: a request still
 * being worked on is not idle, so the idle timeout must not cut it.
 */
import { connect as http2Connect } from "node:http2";
import { connect, type Socket } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../../gen/health/v1/health_pb.ts";
import { REST_PATH } from "../../support/clients.ts";
import { timed } from "../../support/timing.ts";
import { GrpcStatus, grpcFaultClient } from "./grpc.ts";
import { type Rig, restRefresh, SLACK_MS, startRig } from "./harness.ts";

const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1000;
const IDLE_TIMEOUT_MS = 1000;

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({
    HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
    // Long enough that a slow provider reply outlasts the idle timeout.
    UPSTREAM_TIMEOUT_MS: "3000",
    UPSTREAM_ATTEMPT_TIMEOUT_MS: "2500",
  });
});
afterAll(async () => {
  await rig?.close();
});

/** Opens a raw TCP connection, lets `act` write, and says when the server closed it. */
function rawConnection(
  act: (socket: Socket) => void,
): Promise<{ closedAfterMs: number; received: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let received = "";
    const socket = connect(rig.service.port, "127.0.0.1", () => act(socket));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", () => {}); // a reset is a close too; "close" follows
    socket.on("close", () => resolve({ closedAfterMs: performance.now() - started, received }));
  });
}

/** Cut: either closed without a word, or told 408 and closed. */
const CUT = /^$|^HTTP\/1\.1 408 /;

describe.concurrent("a client slower than the header timeout", () => {
  it("is cut when it connects and sends nothing", async () => {
    const { closedAfterMs, received } = await rawConnection(() => {});
    expect(received).toBe("");
    expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it("is cut when it sends half an HTTP/2 preface and stops", async () => {
    const { closedAfterMs, received } = await rawConnection((s) => s.write("PRI * HTTP/2.0\r\n"));
    expect(received).toBe("");
    expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it("is cut (408 or closed) when it sends partial headers and stops", async () => {
    const partial = `POST ${REST_PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: appl`;
    const { closedAfterMs, received } = await rawConnection((s) => s.write(partial));
    expect(received).toMatch(CUT);
    expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });
});

describe.concurrent("a client slower than the request timeout", () => {
  it("is cut (408 or closed) when it trickles its body past REQUEST_TIMEOUT_MS", async () => {
    let sent = 0;
    const { closedAfterMs, received } = await rawConnection((socket) => {
      const head = `POST ${REST_PATH} HTTP/1.1\r\nHost: localhost\r\n`;
      socket.write(`${head}Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n{`);
      const drip = setInterval(() => {
        if (socket.destroyed) return clearInterval(drip);
        socket.write(" ");
        sent++;
      }, 100);
    });
    expect(received).toMatch(CUT);
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    // The body was nowhere near done: the timeout, not the body, ended it.
    expect(sent).toBeLessThan(4000);
  });
});

describe.concurrent("an idle connection", () => {
  it("keeps an HTTP/1.1 keep-alive connection for IDLE_TIMEOUT_MS, then closes it", async () => {
    const { closedAfterMs, received } = await rawConnection((s) =>
      s.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    );
    expect(received).toMatch(/^HTTP\/1\.1 200 [\s\S]*keep-alive: timeout=1\r\n/i);
    expect(closedAfterMs).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 50);
    expect(closedAfterMs).toBeLessThan(IDLE_TIMEOUT_MS + SLACK_MS);
  });

  it("closes an idle HTTP/2 session after IDLE_TIMEOUT_MS", async () => {
    const session = http2Connect(rig.service.url);
    session.on("error", () => {});
    const { ms } = await timed(
      () =>
        new Promise<void>((resolve) => {
          const stream = session.request({ ":path": "/healthz" });
          stream.resume();
          stream.on("error", () => {});
          session.on("close", resolve);
        }),
    );
    expect(ms).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(IDLE_TIMEOUT_MS + SLACK_MS);
  });
});

describe.concurrent("a request in progress is not idle", () => {
  // Every provider reply in this block comes 800 ms after the idle timeout.
  beforeAll(() => {
    rig.fake.reset();
    rig.fake.scriptAlways({ delayMs: IDLE_TIMEOUT_MS + 800 });
  });

  it("answers a REST refresh over HTTP/1.1 that takes longer than IDLE_TIMEOUT_MS", async () => {
    const res = await restRefresh(rig.service.url, rig.fake.issueRefreshToken());
    expect(res.status).toBe(200);
  });

  // Idle means no open stream: a session waiting on an answer is not idle.
  it("answers a gRPC refresh that takes longer than IDLE_TIMEOUT_MS", async () => {
    const grpc = grpcFaultClient(rig.service.port);
    try {
      const out = await grpc.refresh(rig.fake.issueRefreshToken());
      expect(GrpcStatus[out.code]).toBe("OK");
    } finally {
      grpc.close();
    }
  });

  // The gRPC health protocol expects a quiet Watch stream to stay open.
  it("keeps a gRPC Health Watch stream open past IDLE_TIMEOUT_MS", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: rig.service.url }));
    const watch = new AbortController();
    const ended = (async () => {
      for await (const _ of health.watch({ service: "" }, { signal: watch.signal })) {
        // SERVING, then nothing more until the server drains
      }
      return "ended";
    })().catch((error: unknown) => (watch.signal.aborted ? "still open" : String(error)));
    const outcome = await Promise.race([
      ended,
      new Promise((resolve) => setTimeout(() => resolve("still open"), IDLE_TIMEOUT_MS + 800)),
    ]);
    watch.abort();
    expect(outcome).toBe("still open");
  });
});
