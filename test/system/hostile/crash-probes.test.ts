/**
 * Input that could take the whole process down cannot be tested in-process (the test worker
 * would catch the crash), so this file runs src/main.ts as a real process in front of the
 * Cognito fake and checks after every case that the process is still running and answering.
 * The Connect adapter builds each request's URL from Host / :authority inside the request
 * listener and throws when there is none or it is no authority: before 1547a1d that throw
 * ended the process (minimal cases: "Host: " on an RPC path; an HTTP/1.0 request with no
 * Host; an HTTP/2 stream with ":authority: [").
 * 230 generated cases (see harness.ts for the total).
 */
import { connect as http2Connect } from "node:http2";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { type MainProcess, spawnMain } from "../../support/spawn-main.ts";
import { headerValue } from "./arbitraries.ts";
import { RPC_PATH } from "./harness.ts";
import { rawExchange } from "./wire.ts";

let fake: FakeCognito;
let main: MainProcess;
let port: number;
let url: string;

beforeAll(async () => {
  fake = await startFakeCognito();
  main = spawnMain({
    ...fake.env,
    HOST: "127.0.0.1",
    PORT: "0",
    METRICS_PORT: "0",
    RATE_LIMIT_PER_MINUTE: "0",
    RATE_LIMIT_FAILURES_PER_TOKEN: "0",
  });
  await main.waitFor('"message":"listening"');
  url = /"url":"([^"]+)"/.exec(main.stderr())?.[1] ?? "";
  port = Number(new URL(url).port);
});
afterAll(async () => {
  if (main && main.child.exitCode === null) {
    main.child.kill("SIGTERM");
    await main.exited;
  }
  await fake?.close();
});

/** The process is still running and still answers. */
async function expectAlive(): Promise<void> {
  expect(main.child.exitCode, "the service process exited").toBeNull();
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
}

/** The :status of one HTTP/2 stream to the RPC path, or why there was none. */
function h2Status(headers: Record<string, string>): Promise<number | string> {
  return new Promise((resolve) => {
    const session = http2Connect(url);
    session.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "session error"));
    const stream = session.request({
      ":method": "POST",
      ":path": RPC_PATH,
      "content-type": "application/json",
      ...headers,
    });
    stream.on("response", (h) => resolve(Number(h[":status"])));
    stream.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "stream error"));
    stream.on("close", () => {
      resolve("closed");
      session.close();
    });
    stream.resume();
    stream.end("{}");
  });
}

describe("a client cannot take the process down", () => {
  it("answers an HTTP/1.1 Host that is no URL authority on an RPC path with 400", async () => {
    await expectAlive();
    const host = fc.oneof(
      fc.constantFrom("", "[", "a b", "x:99999", "@", "#}", "x@y@z"),
      headerValue(20),
    );
    await fc.assert(
      fc.asyncProperty(host, async (value) => {
        const request = `POST ${RPC_PATH} HTTP/1.1\r\nHost: ${value}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
        const result = await rawExchange(port, [Buffer.from(request, "latin1")], { waitMs: 2000 });
        expect(result.statuses.length, "no answer").toBe(1);
        expect(result.statuses[0]).toBeLessThan(500);
        await expectAlive();
      }),
      { numRuns: 100 },
    );
  });

  it("answers a request without Host (HTTP/1.0, or any version) on an RPC path below 500", async () => {
    const request = fc.record({
      method: fc.constantFrom("POST", "GET", "PUT"),
      version: fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/1.1"),
      path: fc.constantFrom(RPC_PATH, "/grpc.health.v1.Health/Check"),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ method, version, path }) => {
        const head = `${method} ${path} ${version}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
        const result = await rawExchange(port, [Buffer.from(head)], { waitMs: 2000 });
        expect(result.statuses.length, "no answer").toBe(1);
        expect(result.statuses[0]).toBeLessThan(500);
        await expectAlive();
      }),
      { numRuns: 30 },
    );
  });

  it("answers an HTTP/2 :authority that is no URL authority on an RPC path below 500", async () => {
    // node:http2 itself refuses to send values with whitespace; everything else goes out.
    const authority = fc.oneof(
      fc.constantFrom("[", "x:99999", "@", "a%", "#}"),
      headerValue(20).filter((v) => v.trim() !== "" && !/\s/.test(v)),
    );
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(authority, async (value) => {
        // nghttp2 resets a stream whose :authority has characters it forbids (such as "@"):
        // a refusal at the protocol level; whatever reaches the routes gets an answer.
        const answer = await h2Status({ ":authority": value });
        if (typeof answer === "number") {
          expect(answer).toBeLessThan(500);
          answered++;
        } else {
          expect(answer).toBe("ERR_HTTP2_STREAM_ERROR");
        }
        await expectAlive();
      }),
      { numRuns: 100 },
    );
    expect(answered, "some authorities reached the routes").toBeGreaterThan(0);
  });
});
