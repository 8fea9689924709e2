/**
 * Graceful drain of the real process: REST (HTTP/1.1 keep-alive) and gRPC (HTTP/2) load runs
 * across SIGTERM while the fake Cognito holds every refresh for a while, so requests are in
 * flight when the signal lands. Outcomes carry no token.
 */
import { Agent, request as httpRequest } from "node:http";
import { type ClientHttp2Session, connect as http2Connect } from "node:http2";
import { connect as netConnect } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthCheckResponseSchema } from "../../../gen/health/v1/health_pb.ts";
import { RefreshCustomerTokenRequestSchema } from "../../../gen/worth/auth/v1/auth_service_pb.ts";
import { REST_PATH, RPC_PATH } from "../../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { type MainProcess, spawnMain } from "../../support/spawn-main.ts";

const PROVIDER_DELAY_MS = 300;
const SHUTDOWN_TIMEOUT_MS = 5000;
/** Sent this long before the signal, a request has surely been read by the server. */
const ACCEPTED_MARGIN_MS = 50;
/** How long after the signal the process may take to begin its drain. */
const SIGNAL_SLACK_MS = 100;
/** Not ready but still serving for this long, so that "not ready first" is observable. */
const DRAIN_DELAY_MS = 300;
const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";
const HEALTH_WATCH_PATH = "/grpc.health.v1.Health/Watch";
const NOT_SERVING = 2;

interface Outcome {
  kind: "rest" | "grpc";
  /** When the request was fully written. */
  sentAt: number;
  /** 200 / grpc-status 0 is "ok"; anything else names what happened. */
  result: string;
}

function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

function refreshFrame(refreshToken: string): Buffer {
  const message = create(RefreshCustomerTokenRequestSchema, { refreshToken });
  return grpcFrame(toBinary(RefreshCustomerTokenRequestSchema, message));
}

/** A HealthCheckRequest for the whole server (""): the empty message. */
const HEALTH_REQUEST = grpcFrame(new Uint8Array());

function restRefresh(agent: Agent, port: number, token: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let sentAt = Date.now();
    const req = httpRequest(
      {
        agent,
        host: "127.0.0.1",
        port,
        method: "POST",
        path: REST_PATH,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({
            kind: "rest",
            sentAt,
            result: res.statusCode === 200 ? "ok" : `http ${res.statusCode}`,
          }),
        );
        res.on("error", (error) => resolve({ kind: "rest", sentAt, result: error.message }));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      resolve({ kind: "rest", sentAt, result: error.code ?? error.message }),
    );
    req.end(JSON.stringify({ refresh_token: token }), () => {
      sentAt = Date.now();
    });
  });
}

/** One unary gRPC call on an existing session; the outcome names a refusal precisely. */
function grpcUnary(
  session: ClientHttp2Session,
  path: string,
  body: Buffer,
): Promise<{ sentAt: number; result: string; message?: Buffer }> {
  return new Promise((resolve) => {
    let sentAt = Date.now();
    let stream: ReturnType<ClientHttp2Session["request"]>;
    try {
      stream = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc+proto",
        te: "trailers",
      });
    } catch (error) {
      resolve({ sentAt, result: (error as NodeJS.ErrnoException).code ?? "request threw" });
      return;
    }
    let status: string | undefined;
    const chunks: Buffer[] = [];
    const take = (headers: Record<string, unknown>) => {
      if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
    };
    stream.on("response", take);
    stream.on("trailers", take);
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    let errorCode: string | undefined;
    stream.on("error", (error: NodeJS.ErrnoException) => {
      errorCode = error.code;
    });
    stream.on("close", () => {
      const data = Buffer.concat(chunks);
      if (status === "0") {
        resolve({ sentAt, result: "ok", message: data.subarray(5) });
      } else if (status !== undefined) {
        resolve({ sentAt, result: `grpc-status ${status}` });
      } else {
        resolve({ sentAt, result: `rst ${stream.rstCode} ${errorCode ?? ""}`.trim() });
      }
    });
    stream.end(body, () => {
      sentAt = Date.now();
    });
  });
}

function connectOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function readyz(agent: Agent, port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest({ agent, host: "127.0.0.1", port, path: "/readyz" }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("graceful drain of the real process under load", () => {
  let fake: FakeCognito;
  let main: MainProcess;
  let port: number;

  beforeAll(async () => {
    fake = await startFakeCognito();
    fake.scriptAlways({ delayMs: PROVIDER_DELAY_MS });
    main = spawnMain({
      ...fake.env,
      HOST: "127.0.0.1",
      PORT: "0",
      METRICS_PORT: "0",
      RATE_LIMIT_PER_MINUTE: "0",
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
    });
    await main.waitFor('"message":"listening"');
    const url = /"url":"([^"]+)"/.exec(main.stderr())?.[1] ?? "";
    port = Number(new URL(url).port);
  });

  afterAll(async () => {
    if (main.child.exitCode === null) main.child.kill("SIGKILL");
    await fake.close();
  });

  it("answers every accepted request, goes not-ready first, accepts nothing new, exits 0", async () => {
    const outcomes: Outcome[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sessions = [0, 1].map(() => http2Connect(`http://127.0.0.1:${port}`));
    for (const session of sessions) session.on("error", () => {});
    // Health Watch on its own session: the stream that sees the status change as it happens.
    const watchSession = http2Connect(`http://127.0.0.1:${port}`);
    watchSession.on("error", () => {});
    let watchSawNotServingAt: number | undefined;
    const watch = watchSession.request({
      ":method": "POST",
      ":path": HEALTH_WATCH_PATH,
      "content-type": "application/grpc+proto",
      te: "trailers",
    });
    watch.on("error", () => {});
    watch.on("data", (chunk: Buffer) => {
      const status = fromBinary(HealthCheckResponseSchema, chunk.subarray(5)).status;
      if (status === NOT_SERVING) watchSawNotServingAt ??= Date.now();
    });
    watch.end(HEALTH_REQUEST);

    let stopAt = Number.POSITIVE_INFINITY;
    let signalAt = Number.POSITIVE_INFINITY;
    const running = () => Date.now() < stopAt;
    let readyz503At: number | undefined;
    let healthNotServingAt: number | undefined;
    let refusedConnectAt: number | undefined;
    let acceptedConnectAfterDrain = 0;

    // Staggered starts, so that during the drain some requests are still held upstream while
    // other workers, answered, already try their next one.
    const restWorker = async (_: unknown, i: number) => {
      await sleep(i * 37);
      while (running()) {
        outcomes.push(await restRefresh(agent, port, fake.issueRefreshToken()));
      }
    };
    const grpcWorker = async (session: ClientHttp2Session, i: number) => {
      await sleep(i * 37 + 18);
      while (running()) {
        const { sentAt, result } = await grpcUnary(
          session,
          RPC_PATH,
          refreshFrame(fake.issueRefreshToken()),
        );
        outcomes.push({ kind: "grpc", sentAt, result });
        if (result !== "ok") await sleep(5);
      }
    };
    const readinessPoller = async () => {
      while (running()) {
        if ((await readyz(probeAgent, port)) === 503) readyz503At ??= Date.now();
        const check = await grpcUnary(
          sessions[0] as ClientHttp2Session,
          HEALTH_CHECK_PATH,
          HEALTH_REQUEST,
        );
        if (
          check.message &&
          fromBinary(HealthCheckResponseSchema, check.message).status === NOT_SERVING
        ) {
          healthNotServingAt ??= Date.now();
        }
        await sleep(10);
      }
    };
    const connectProber = async () => {
      while (running()) {
        const accepted = await connectOnce(port);
        if (!accepted) refusedConnectAt ??= Date.now();
        else if (refusedConnectAt !== undefined) acceptedConnectAfterDrain++;
        await sleep(5);
      }
    };

    const load = Promise.all([
      ...Array.from({ length: 8 }, restWorker),
      ...sessions.flatMap((session) => Array.from({ length: 4 }, (_, i) => grpcWorker(session, i))),
      readinessPoller(),
      connectProber(),
    ]);
    // Let the load settle, then signal while every worker has a request held upstream.
    await sleep(1000);
    const callsBeforeSignal = fake.calls();
    signalAt = Date.now();
    main.child.kill("SIGTERM");
    await sleep(DRAIN_DELAY_MS + SIGNAL_SLACK_MS);
    const callsAtSlack = fake.calls();
    const exit = await Promise.race([
      main.exited,
      sleep(DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS + 2000).then(() => "still running"),
    ]);
    const exitedAfterMs = Date.now() - signalAt;
    stopAt = Date.now();
    await load;
    for (const session of [...sessions, watchSession]) session.destroy();
    agent.destroy();
    probeAgent.destroy();

    const accepted = outcomes.filter((o) => o.sentAt <= signalAt - ACCEPTED_MARGIN_MS);
    const failedAccepted = accepted.filter((o) => o.result !== "ok");
    // The listener closes once the drain delay is over: from then on nothing new is taken.
    const afterSignal = outcomes.filter(
      (o) => o.sentAt > signalAt + DRAIN_DELAY_MS + SIGNAL_SLACK_MS,
    );
    const summary = (list: Outcome[]) =>
      Object.entries(Object.groupBy(list, (o) => `${o.kind}: ${o.result}`)).map(
        ([key, group]) => `${key} x${group?.length}`,
      );

    console.log(
      JSON.stringify({
        total: outcomes.length,
        accepted: accepted.length,
        afterSignal: summary(afterSignal),
        exitedAfterMs,
        calls: [callsBeforeSignal, callsAtSlack, fake.calls()],
        failedAccepted: summary(failedAccepted),
        readyz503: readyz503At && readyz503At - signalAt,
        healthNotServing: healthNotServingAt && healthNotServingAt - signalAt,
        watchNotServing: watchSawNotServingAt && watchSawNotServingAt - signalAt,
        refusedConnect: refusedConnectAt && refusedConnectAt - signalAt,
      }),
    );
    expect(callsBeforeSignal).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    expect(summary(failedAccepted)).toEqual([]);
    // Nothing sent after the drain began was processed: no new upstream call, no success.
    expect(fake.calls()).toBe(callsAtSlack);
    expect(summary(afterSignal.filter((o) => o.result === "ok"))).toEqual([]);
    // The load did try during the drain, on both protocols, and was refused.
    expect(afterSignal.some((o) => o.kind === "rest")).toBe(true);
    expect(afterSignal.some((o) => o.kind === "grpc")).toBe(true);
    const refusal = /ECONNREFUSED|ECONNRESET|GOAWAY|INVALID_SESSION|^rst 7/;
    expect(summary(afterSignal.filter((o) => !refusal.test(o.result)))).toEqual([]);
    // New connections are refused once the drain began, and stay refused.
    expect(refusedConnectAt).toBeDefined();
    expect(acceptedConnectAfterDrain).toBe(0);
    // Not ready before the listener stops.
    expect(watchSawNotServingAt ?? readyz503At ?? healthNotServingAt).toBeDefined();
    const notReadyAt = Math.min(
      watchSawNotServingAt ?? Number.POSITIVE_INFINITY,
      readyz503At ?? Number.POSITIVE_INFINITY,
      healthNotServingAt ?? Number.POSITIVE_INFINITY,
    );
    expect(notReadyAt).toBeLessThanOrEqual(refusedConnectAt as number);
    expect(exit).toBe(0);
    expect(exitedAfterMs).toBeLessThan(DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS + 2000);
  }, 30_000);
});

describe("the default drain, with keep-alive clients looping across SIGTERM", () => {
  const CLIENTS = 20;
  const RUNS = 3;

  /** One run: every request's result until each client is refused a new connection. */
  async function loopAcrossSigterm(fake: FakeCognito): Promise<string[]> {
    const main = spawnMain({
      ...fake.env,
      HOST: "127.0.0.1",
      PORT: "0",
      METRICS_PORT: "0",
      RATE_LIMIT_PER_MINUTE: "0",
    });
    await main.waitFor('"message":"listening"');
    const port = Number(new URL(/"url":"([^"]+)"/.exec(main.stderr())?.[1] ?? "").port);
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const results: string[] = [];
    const deadline = Date.now() + 8000;
    const client = async () => {
      while (Date.now() < deadline) {
        const { result } = await restRefresh(agent, port, fake.issueRefreshToken());
        results.push(result);
        // Refused a new connection: the listener is closed and nothing was sent.
        if (result === "ECONNREFUSED") return;
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    await sleep(400);
    main.child.kill("SIGTERM");
    await Promise.all(clients);
    agent.destroy();
    expect(await main.exited).toBe(0);
    return results;
  }

  it(`loses no request a client sent on a connection the server kept open (${RUNS} runs)`, async () => {
    const fake = await startFakeCognito();
    try {
      const lost: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const results = await loopAcrossSigterm(fake);
        expect(results.filter((r) => r === "ok").length).toBeGreaterThan(CLIENTS);
        // Anything but an answer or a refused new connection was sent and lost.
        lost.push(results.filter((r) => r !== "ok" && r !== "ECONNREFUSED").length);
      }
      expect(lost).toEqual(new Array(RUNS).fill(0));
    } finally {
      await fake.close();
    }
  }, 60_000);
});
