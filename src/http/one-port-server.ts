import {
  createServer as createHttp1Server,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import {
  createServer as createHttp2Server,
  type Http2Session,
  constants as http2Constants,
  type ServerHttp2Stream,
} from "node:http2";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { Handler } from "./types.ts";

export interface OnePortOptions {
  handler: Handler;
  tls?: { cert: Buffer | string; key: Buffer | string } | undefined;
  /** A client must send its request headers (and finish a TLS handshake) within this time. */
  headersTimeoutMs?: number;
  /** A client must send its whole request within this time. */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections and HTTP/2 sessions are closed after this. */
  idleTimeoutMs?: number;
  /** Connections open at once; the next is closed as soon as it is accepted. */
  maxConnections?: number;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
// Streams one HTTP/2 connection may have open, as the server's SETTINGS tell the client. Each
// may hold an answer the client has not read (a zero flow-control window), so this bounds what
// one connection can make the service keep; clients queue further calls on their side, or
// open another connection.
const MAX_CONCURRENT_STREAMS = 32;

export interface OnePortServer {
  /** The listening server; its connections are handed to HTTP/1 or HTTP/2. */
  server: Server;
  /**
   * Begins the drain: every HTTP/1 response from now on closes its connection, and HTTP/2
   * sessions get GOAWAY. Idle keep-alive connections stay open: a request a client sends on
   * one now is answered, with `Connection: close`.
   */
  beginDrain(): void;
  /** beginDrain(), and closes the HTTP/1 connections idle now. */
  closeIdle(): void;
  /** Closes every connection, busy or not: the end of a drain that ran out of time. */
  closeAll(): void;
}

/**
 * One port for HTTP/1.1 and HTTP/2, served by one http/1 and one http2
 * server that never listen themselves. In cleartext the first bytes decide:
 * the HTTP/2 connection preface goes to http2, anything else to http/1. With
 * TLS, ALPN decides (h2, http/1.1). Either way both get the same timeouts.
 */
export function createOnePortServer(options: OnePortOptions): OnePortServer {
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const idleTimeout = options.idleTimeoutMs ?? 60_000;
  let draining = false;
  const answering = new Set<ServerResponse>();
  const http1 = createHttp1Server(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: idleTimeout,
      // Node checks those timeouts only this often (30 s by default).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, headersTimeout / 4)),
    },
    oneAtATime((req, res) => {
      // Once draining, a keep-alive connection must not carry another request: answer with
      // `Connection: close`, which closes it after the response.
      if (draining) res.shouldKeepAlive = false;
      else {
        answering.add(res);
        res.once("close", () => answering.delete(res));
      }
      options.handler(req, res);
    }),
  );
  const http2 = createHttp2Server(
    {
      settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS },
    },
    options.handler,
  );
  const sessions = new Set<Http2Session>();
  // GOAWAY asks the client to finish; one that never does (a header block it never completes
  // is a stream nghttp2 waits for) is destroyed once it has had as long as headers may take.
  const goAway = (session: Http2Session) => closeWithin(session, headersTimeout);
  http2.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    trackStreams(session, idleTimeout, requestTimeout, goAway);
  });
  // Nagle off, as http.createServer and http2.createServer have it: a bare net or tls server
  // leaves it on, and an answer written in several pieces (HTTP/2 frames, a chunked body's
  // last chunk) then waits for the client's delayed ACK, up to 40 ms, before its last piece.
  const server = options.tls
    ? createTlsServer(
        {
          ...options.tls,
          ALPNProtocols: ["h2", "http/1.1"],
          handshakeTimeout: headersTimeout,
          noDelay: true,
        },
        (socket: TLSSocket) => {
          (socket.alpnProtocol === "h2" ? http2 : http1).emit("connection", socket);
        },
      )
    : createNetServer({ noDelay: true }, (socket) => route(socket, http1, http2, headersTimeout));
  // http1 never listens itself, but its connection tracking (which enforces
  // headersTimeout and requestTimeout, and lets closeIdleConnections work)
  // starts on its "listening" event.
  server.on("listening", () => http1.emit("listening"));
  // Past the cap a connection is closed on accept: a flood of held connections cannot use up
  // the process's file descriptors. While at the cap, new connections (probes' too) are closed
  // until held ones time out; connections already open keep being served.
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  server.on("close", () => http1.close());
  const beginDrain = () => {
    if (!draining) {
      draining = true;
      for (const res of answering) if (!res.headersSent) res.shouldKeepAlive = false;
    }
    // In-flight streams may take until the drain's own deadline, which closeAll() keeps.
    for (const session of sessions) session.close();
  };
  return {
    server,
    beginDrain,
    closeIdle: () => {
      beginDrain();
      http1.closeIdleConnections();
    },
    closeAll: () => {
      http1.closeAllConnections();
      for (const session of sessions) session.destroy();
    },
  };
}

/**
 * Pipelined HTTP/1.1 requests are answered one at a time per connection. Node hands every
 * request it has parsed to the handler at once and keeps each answer in memory until the ones
 * before it are sent: a client that pipelines thousands and reads nothing would hold that many
 * answers. Here a request waits, unhandled, until the one before it on its connection has
 * closed; node stops reading a connection whose answers are not being read.
 */
// Requests read ahead on one connection before reading stops, and where it starts again.
const QUEUE_PAUSE = 32;
const QUEUE_RESUME = 8;
// Requests waiting on one connection at most; past it the connection is closed.
const QUEUE_LIMIT = 256;

function oneAtATime(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  const waiting = new WeakMap<Socket, Array<() => void>>();
  return (req, res) => {
    const socket = req.socket;
    const queue = waiting.get(socket);
    const run = () => {
      res.once("close", () => {
        if (socket.destroyed) {
          // Its other requests are gone with it: none is answered, none is handled.
          waiting.delete(socket);
          return;
        }
        const rest = waiting.get(socket);
        const next = rest?.shift();
        if (rest && rest.length < QUEUE_RESUME && socket.isPaused()) socket.resume();
        if (next) next();
        else waiting.delete(socket);
      });
      handler(req, res);
    };
    if (queue) {
      if (queue.length >= QUEUE_LIMIT) {
        // Far past any real client (browsers and curl do not pipeline): node has parsed all it
        // read in one go, so stop the connection rather than keep its requests.
        socket.destroy();
        return;
      }
      queue.push(run);
      // Stop reading more; node parses what it has read already.
      if (queue.length >= QUEUE_PAUSE) socket.pause();
    } else {
      waiting.set(socket, []);
      run();
    }
  };
}

/**
 * Idle means no open stream: a slow answer or a quiet Watch stream is not
 * idle. A stream whose request has not ended within the request timeout is
 * cancelled, as http/1 does for a slow request.
 */
function trackStreams(
  session: Http2Session,
  idleTimeout: number,
  requestTimeout: number,
  close: (session: Http2Session) => void,
): void {
  let streams = 0;
  session.on("stream", (stream: ServerHttp2Stream) => {
    streams += 1;
    const timer = setTimeout(() => {
      stream.close(http2Constants.NGHTTP2_CANCEL);
    }, requestTimeout);
    timer.unref();
    stream.once("end", () => clearTimeout(timer));
    stream.once("close", () => {
      clearTimeout(timer);
      streams -= 1;
    });
  });
  session.setTimeout(idleTimeout, () => {
    if (streams === 0) close(session);
  });
}

/** Sends GOAWAY, and destroys the session if it has not closed `withinMs` later. */
function closeWithin(session: Http2Session, withinMs: number): void {
  if (session.closed || session.destroyed) return;
  session.close();
  const timer = setTimeout(() => session.destroy(), withinMs);
  timer.unref();
  session.once("close", () => clearTimeout(timer));
}

function route(socket: Socket, http1: Server, http2: Server, timeoutMs: number): void {
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
