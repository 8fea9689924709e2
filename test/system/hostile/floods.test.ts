// Clients that ask much and read nothing must not grow the service's memory: thousands of
// pipelined HTTP/1.1 requests on one connection, and HTTP/2 streams whose flow-control window
// is zero, against every public route. The service runs as its own process (src/main.ts), so
// its resident set is its own; it must grow less than 64 MB and the service keep answering.
// Floods run in the serial group and stop by themselves.
import { readFileSync } from "node:fs";
import { connect as http2Connect } from "node:http2";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../cluster/ports.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { type MainProcess, spawnMain } from "../../support/spawn-main.ts";
import { sleep } from "../../support/timing.ts";

const MB = 1024 * 1024;
const LIMIT_MB = 64;
const PIPELINED = 5000;

let fake: FakeCognito;
let main: MainProcess;
let url: string;
let port: number;
const held: Socket[] = [];

/** The service's resident set, from /proc. */
function rssBytes(): number {
  const status = readFileSync(`/proc/${main.child.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

interface Route {
  name: string;
  method: "GET" | "POST";
  path: string;
  type?: string;
  body?: string;
}

const token = () => fake.issueRefreshToken();
const ROUTE_NAMES = [
  "/healthz",
  "/readyz",
  "openapi.json",
  "/metrics (404 here)",
  "REST refresh",
  "Connect refresh",
];
const ROUTES = (): Route[] => [
  { name: "/healthz", method: "GET", path: "/healthz" },
  { name: "/readyz", method: "GET", path: "/readyz" },
  { name: "openapi.json", method: "GET", path: "/auth/api/v1/openapi.json" },
  { name: "/metrics (404 here)", method: "GET", path: "/metrics" },
  {
    name: "REST refresh",
    method: "POST",
    path: "/auth/api/v1/refresh-token/customer",
    type: "application/json",
    body: JSON.stringify({ refresh_token: token() }),
  },
  {
    name: "Connect refresh",
    method: "POST",
    path: "/worth.auth.v1.AuthService/RefreshCustomerToken",
    type: "application/json",
    body: JSON.stringify({ refreshToken: token() }),
  },
];

function http1Request(route: Route): string {
  const body = route.body ?? "";
  const type = route.type ? `content-type: ${route.type}\r\n` : "";
  return `${route.method} ${route.path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${type}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Writes `count` pipelined requests on one connection and never reads an answer. */
function pipeline(route: Route, count: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.pause();
      const payload = Buffer.from(http1Request(route).repeat(count));
      socket.write(payload);
      resolve();
    });
    socket.on("error", () => resolve());
    held.push(socket);
  });
}

/** `connections` × `streams` HTTP/2 requests with a zero window: no answer can be sent. */
function zeroWindow(route: Route, connections: number, streams: number): void {
  for (let c = 0; c < connections; c++) {
    const session = http2Connect(url, { settings: { initialWindowSize: 0 } });
    session.on("error", () => undefined);
    for (let s = 0; s < streams; s++) {
      const headers: Record<string, string> = { ":method": route.method, ":path": route.path };
      if (route.type) headers["content-type"] = route.type;
      const stream = session.request(headers);
      stream.on("error", () => undefined);
      stream.end(route.body);
    }
    held.push(session.socket as Socket);
  }
}

async function healthz(): Promise<number> {
  const res = await fetch(`${url}/healthz`).catch(() => undefined);
  return res?.status ?? 0;
}

async function startMain(): Promise<void> {
  port = await freePort();
  main = spawnMain({
    ...fake.env,
    PORT: String(port),
    METRICS_PORT: String(await freePort()),
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    // The image's heap settings (Dockerfile), for the pod's 256 Mi.
    NODE_OPTIONS: "--max-semi-space-size=8 --max-old-space-size=160",
  });
  url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && (await healthz()) !== 200; i++) await sleep(50);
  // Warm every route once, so the baseline has loaded what serving needs.
  for (const route of ROUTES()) {
    await fetch(`${url}${route.path}`, {
      method: route.method,
      headers: route.type ? { "content-type": route.type } : {},
      body: route.body,
    }).then((res) => res.arrayBuffer());
  }
  await sleep(300);
}

async function stopMain(): Promise<void> {
  for (const socket of held.splice(0)) socket.destroy();
  main?.child.kill("SIGKILL");
  await main?.exited;
}

beforeAll(async () => {
  fake = await startFakeCognito();
});

afterAll(async () => {
  await stopMain();
  await fake?.close();
});

describe("floods that read nothing", () => {
  // A fresh service per route: each route's flood is measured from its own baseline.
  it.each(ROUTE_NAMES)(
    `grow the service's memory by less than ${LIMIT_MB} MB on %s: ${PIPELINED} pipelined HTTP/1.1 requests and 20 × 100 HTTP/2 streams with a zero window`,
    async (name) => {
      await startMain();
      try {
        const route = ROUTES().find((r) => r.name === name) as Route;
        const before = rssBytes();
        await pipeline(route, PIPELINED);
        zeroWindow(route, 20, 100);
        await sleep(2000);
        const grownMb = Math.round((rssBytes() - before) / MB);
        expect(grownMb).toBeLessThan(LIMIT_MB);
        expect(await healthz()).toBe(200);
      } finally {
        await stopMain();
      }
    },
    30_000,
  );
});

describe("a client that pipelines a few requests and reads the answers", () => {
  it("gets every answer, in order, one at a time", async () => {
    await startMain();
    try {
      const paths = ["/healthz", "/readyz", "/nope", "/healthz", "/auth/api/v1/openapi.json"];
      const wire = paths.map((path) => `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`).join("");
      const text = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => socket.end(wire));
        let received = "";
        socket.on("data", (chunk: Buffer) => {
          received += chunk.toString("latin1");
        });
        socket.on("end", () => resolve(received));
        socket.on("error", reject);
      });
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => match[1]);
      expect(statuses).toEqual(["200", "200", "404", "200", "200"]);
    } finally {
      await stopMain();
    }
  });
});
