import { createServer as createHttp1Server } from "node:http";
import {
  createServer as createHttp2Server,
  createSecureServer,
  type Http2Session,
} from "node:http2";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import type { Handler } from "./http-types.ts";

export interface OnePortOptions {
  handler: Handler;
  tls?: { cert: Buffer | string; key: Buffer | string } | undefined;
  /** A client must send its request headers within this time. */
  headersTimeoutMs?: number;
  /** A client must send its whole request within this time. */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections and HTTP/2 sessions are closed after this. */
  idleTimeoutMs?: number;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface OnePortServer {
  /** The listening server; its connections are handed to HTTP/1 or HTTP/2. */
  server: Server;
  /** Closes idle connections and sends GOAWAY to HTTP/2 sessions. */
  closeIdle(): void;
}

/**
 * One port for HTTP/1.1 and HTTP/2. In cleartext the first bytes decide:
 * the HTTP/2 connection preface goes to the http2 server, anything else to
 * the http/1 server. With TLS, ALPN decides (h2, http/1.1).
 */
export function createOnePortServer(options: OnePortOptions): OnePortServer {
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const idleTimeout = options.idleTimeoutMs ?? 60_000;
  const sessions = new Set<Http2Session>();
  const track = (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // Idle means no open stream: a slow answer or a quiet Watch stream is not idle.
    let streams = 0;
    session.on("stream", (stream) => {
      streams += 1;
      stream.once("close", () => {
        streams -= 1;
      });
    });
    session.setTimeout(idleTimeout, () => {
      if (streams === 0) session.close();
    });
  };
  if (options.tls) {
    const secure = createSecureServer(
      { ...options.tls, allowHTTP1: true, ALPNProtocols: ["h2", "http/1.1"] },
      options.handler,
    );
    secure.on("session", track);
    return {
      server: secure,
      closeIdle: () => {
        for (const session of sessions) session.close();
      },
    };
  }
  const http1 = createHttp1Server(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: idleTimeout,
      // Node checks those timeouts only this often (30 s by default).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, headersTimeout / 4)),
    },
    options.handler,
  );
  const http2 = createHttp2Server({}, options.handler);
  http2.on("session", track);
  const server = createNetServer((socket) => route(socket, http1, http2, headersTimeout));
  // http1 never listens itself, but its connection tracking (which enforces
  // headersTimeout and requestTimeout, and lets closeIdleConnections work)
  // starts on its "listening" event.
  server.on("listening", () => http1.emit("listening"));
  server.on("close", () => http1.close());
  return {
    server,
    closeIdle: () => {
      http1.closeIdleConnections();
      for (const session of sessions) session.close();
    },
  };
}

function route(
  socket: Socket,
  http1: import("node:net").Server,
  http2: import("node:net").Server,
  timeoutMs: number,
): void {
  let buffered = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const onError = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const n = Math.min(buffered.length, PREFACE.length);
    const isPreface = buffered.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (isPreface && buffered.length < PREFACE.length) {
      return;
    }
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("error", onError);
    socket.pause();
    socket.unshift(buffered);
    if (isPreface) {
      // http2 reads the socket's buffered bytes itself; resuming would drop them.
      http2.emit("connection", socket);
    } else {
      http1.emit("connection", socket);
      socket.resume();
    }
  };
  socket.on("data", onData);
  socket.on("error", onError);
  socket.once("close", () => clearTimeout(timer));
}
