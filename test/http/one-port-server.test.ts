import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as http2Connect } from "node:http2";
import { type AddressInfo, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { createOnePortServer, type OnePortOptions } from "../../src/http/one-port-server.ts";
import type { Handler } from "../../src/http/types.ts";

// Answers with the HTTP version it was reached over.
const handler: Handler = (req, res) => {
  res.setHeader("content-type", "text/plain");
  res.end(`http/${req.httpVersion}`);
};

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function start(options: Partial<OnePortOptions> = {}): Promise<number> {
  const { server, closeIdle } = createOnePortServer({ handler, ...options });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      closeIdle();
    });
  return (server.address() as AddressInfo).port;
}

function rawExchange(port: number, chunks: string[], gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (data) => {
      received += data.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    (async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  });
}

function h2Get(url: string, options: Record<string, unknown> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(url, options);
    session.on("error", reject);
    const stream = session.request({ ":path": "/" });
    let body = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      body += chunk;
    });
    stream.on("end", () => {
      session.close();
      resolve(body);
    });
    stream.on("error", reject);
  });
}

describe("one port for HTTP/1.1 and HTTP/2", () => {
  it("serves HTTP/1.1 and keeps the connection alive", async () => {
    const port = await start();
    const request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    const last = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const answer = await rawExchange(port, [request, last]);
    expect(answer.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(answer).toContain("http/1.1");
  });

  it("serves cleartext HTTP/2 with prior knowledge", async () => {
    const port = await start();
    expect(await h2Get(`http://127.0.0.1:${port}`)).toBe("http/2.0");
  });

  it("recognises an HTTP/2 preface that arrives a few bytes at a time", async () => {
    const port = await start();
    const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    // After the preface, an empty SETTINGS frame: the server must answer with its own.
    const settings = "\x00\x00\x00\x04\x00\x00\x00\x00\x00";
    const pieces = [preface.slice(0, 3), preface.slice(3, 10), preface.slice(10), settings];
    const socket = netConnect(port, "127.0.0.1");
    const firstFrame = new Promise<Buffer>((resolve) => socket.once("data", resolve));
    for (const piece of pieces) {
      socket.write(Buffer.from(piece, "latin1"));
      await new Promise((r) => setTimeout(r, 20));
    }
    const frame = await firstFrame;
    socket.destroy();
    expect(frame[3]).toBe(0x04); // SETTINGS
  });

  it("closes a connection that sends nothing within the headers timeout", async () => {
    const port = await start({ headersTimeoutMs: 300 });
    const started = Date.now();
    expect(await rawExchange(port, [])).toBe("");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("cancels an HTTP/2 stream whose body does not arrive within the request timeout", async () => {
    const reading: Handler = (req, res) => {
      req.resume();
      req.on("end", () => res.end("read"));
    };
    const { server, closeIdle } = createOnePortServer({
      handler: reading,
      headersTimeoutMs: 300,
      requestTimeoutMs: 300,
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    close = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        closeIdle();
      });
    const { port } = server.address() as AddressInfo;
    const session = http2Connect(`http://127.0.0.1:${port}`);
    const stream = session.request({ ":path": "/", ":method": "POST" });
    stream.write("partial");
    const code = await new Promise<number>((resolve) =>
      stream.on("close", () => resolve(stream.rstCode)),
    );
    session.close();
    expect(code).toBe(8); // NGHTTP2_CANCEL
  });

  it("answers 408 to a client that never finishes its headers", async () => {
    const port = await start({ headersTimeoutMs: 300 });
    const answer = await rawExchange(port, ["GET / HTTP/1.1\r\n", "Host: x\r\n"], 50);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe("with TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "tls-"));
  afterEach(() => undefined);
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  const tls = { cert: readFileSync(cert), key: readFileSync(key) };
  rmSync(dir, { recursive: true, force: true });

  it("negotiates h2 by ALPN", async () => {
    const port = await start({ tls });
    expect(await h2Get(`https://127.0.0.1:${port}`, { ca: tls.cert })).toBe("http/2.0");
  });

  it("cuts a TLS HTTP/1.1 client that never finishes its headers", async () => {
    const port = await start({ tls, headersTimeoutMs: 300 });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({
        port,
        host: "127.0.0.1",
        ca: tls.cert,
        ALPNProtocols: ["http/1.1"],
      });
      let received = "";
      socket.on("secureConnect", () => socket.write("GET / HTTP/1.1\r\nHost: x\r\n"));
      socket.on("data", (data) => {
        received += data.toString();
      });
      socket.on("close", () => resolve(received));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("negotiates http/1.1 by ALPN on the same port", async () => {
    const port = await start({ tls });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({
        port,
        host: "127.0.0.1",
        ca: tls.cert,
        ALPNProtocols: ["http/1.1"],
      });
      let received = "";
      socket.on("secureConnect", () => {
        expect(socket.alpnProtocol).toBe("http/1.1");
        socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      });
      socket.on("data", (data) => {
        received += data.toString();
      });
      socket.on("end", () => resolve(received));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain("http/1.1");
  });
});
