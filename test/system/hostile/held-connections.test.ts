// Connections held open on purpose: an HTTP/2 client that starts a header block and never
// finishes it (a HEADERS frame without END_HEADERS) looks idle, and GOAWAY alone never ends it.
// Each such session is destroyed once it has had as long as headers may take after GOAWAY, and
// MAX_CONNECTIONS closes the excess on accept. Floods run in the serial group.
import { connect, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JSON_TYPE, restFetch } from "../../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { type RunningService, startService } from "../../support/server.ts";
import { eventually } from "../../support/timing.ts";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
// HEADERS on stream 1, END_STREAM but not END_HEADERS; the block: ":method: POST" (static 3).
const OPEN_HEADERS = Buffer.from([0, 0, 1, 1, 0x01, 0, 0, 0, 1, 0x83]);
const LIMITS = { IDLE_TIMEOUT_MS: "1000", HEADERS_TIMEOUT_MS: "500", REQUEST_TIMEOUT_MS: "1000" };
const SLACK_MS = 3000;

let fake: FakeCognito;
const sockets: Socket[] = [];

beforeAll(async () => {
  fake = await startFakeCognito();
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});
afterAll(async () => {
  await fake?.close();
});

/** Opens `count` connections that each leave one header block unfinished; counts closes. */
async function holdHeaderBlocks(port: number, count: number): Promise<() => number> {
  let closed = 0;
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const socket = connect(port, "127.0.0.1", () => {
            socket.write(Buffer.concat([PREFACE, SETTINGS, OPEN_HEADERS]));
            resolve();
          });
          socket.on("error", () => undefined);
          socket.on("close", () => {
            closed += 1;
            resolve();
          });
          socket.resume();
          sockets.push(socket);
        }),
    ),
  );
  return () => closed;
}

const healthz = (url: string) =>
  fetch(`${url}/healthz`).then(
    (res) => res.status,
    () => 0,
  );

describe("HTTP/2 connections that never finish a header block", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ ...fake.env, ...LIMITS });
  });
  afterAll(async () => {
    await service?.close();
  });

  it("are all closed within the idle timeout plus the headers timeout, while the service answers", async () => {
    const closed = await holdHeaderBlocks(service.port, 300);
    expect(closed()).toBe(0);
    expect(await healthz(service.url)).toBe(200);
    const refreshed = await restFetch(service.url, {
      headers: JSON_TYPE,
      body: JSON.stringify({ refresh_token: fake.issueRefreshToken() }),
    });
    expect(refreshed.status).toBe(200);
    expect(await eventually(() => closed() === 300, 1000 + 500 + SLACK_MS)).toBe(true);
    expect(await healthz(service.url)).toBe(200);
  });
});

describe("MAX_CONNECTIONS", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ ...fake.env, ...LIMITS, MAX_CONNECTIONS: "20" });
  });
  afterAll(async () => {
    await service?.close();
  });

  it("closes connections past the cap on accept, and serves again once they are gone", async () => {
    const closed = await holdHeaderBlocks(service.port, 20);
    const excess = await holdHeaderBlocks(service.port, 5);
    expect(await eventually(() => excess() === 5, 1000)).toBe(true);
    expect(closed()).toBe(0);
    expect(await healthz(service.url)).toBe(0);
    expect(await eventually(() => closed() === 20, 1000 + 500 + SLACK_MS)).toBe(true);
    expect(await healthz(service.url)).toBe(200);
  });
});
