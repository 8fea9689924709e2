/**
 * Wire-level clients for the hostile-input tests: node:http with keep-alive for well-formed
 * HTTP/1.1, and bare node:net sockets for bytes no HTTP client would send.
 */
import { Agent, type IncomingHttpHeaders, request } from "node:http";
import { connect } from "node:net";

/** Longest a single answer may take; longer is a hang. */
export const ANSWER_WITHIN_MS = 5000;

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: Record<string, string | undefined>;
  body: Buffer;
}

/** The server closed the connection before any response arrived. */
export interface Closed {
  status: undefined;
  error: string;
}

export interface Http1Request {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer | undefined;
}

export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

/**
 * One request over node:http; a request the server cuts short (an oversized body it stops
 * reading) resolves as Closed rather than rejecting, so the property can judge it.
 */
export function http1(
  port: number,
  agent: Agent | false,
  req: Http1Request,
  withinMs = ANSWER_WITHIN_MS,
): Promise<Reply | Closed> {
  // node:http frames no body for DELETE, OPTIONS or TRACE unless told its length.
  const headers = { ...req.headers };
  if (
    req.body !== undefined &&
    !Object.keys(headers).some((h) => h.toLowerCase() === "content-length")
  ) {
    headers["content-length"] = String(req.body.length);
  }
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: "127.0.0.1",
      port,
      method: req.method,
      path: req.path,
      headers,
      agent,
    });
    const timer = setTimeout(() => {
      outgoing.destroy();
      reject(new Error(`no answer within ${withinMs} ms`));
    }, withinMs);
    let responded = false;
    outgoing.on("response", (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      const done = () => {
        clearTimeout(timer);
        const { statusCode = 0, headers, trailers } = res;
        resolve({ status: statusCode, headers, trailers, body: Buffer.concat(chunks) });
      };
      res.on("end", done);
      res.on("error", done);
    });
    outgoing.on("error", (error: NodeJS.ErrnoException) => {
      if (!responded) {
        clearTimeout(timer);
        resolve({ status: undefined, error: error.code ?? error.message });
      }
    });
    outgoing.end(req.body);
  });
}

export interface RawResult {
  /** Every status code seen at the start of a response head, in order. */
  statuses: number[];
  /** The server closed the connection (as opposed to us giving up waiting). */
  closedByServer: boolean;
  elapsedMs: number;
}

export interface RawOptions {
  /** Stop once this many response heads have arrived (default 1). */
  responses?: number;
  /** Give up after this long (default ANSWER_WITHIN_MS). */
  waitMs?: number;
  /** Pause between chunks, for slowloris-style senders. */
  gapMs?: number;
}

function statusesIn(text: string): number[] {
  return [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/g)].map((m) =>
    Number(m[1]),
  );
}

function headsIn(text: string): number {
  return [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] \d{3}[\s\S]*?\r\n\r\n/g)].length;
}

/** Writes bytes on a bare socket (in chunks, with gaps) and reads what comes back. */
export function rawExchange(
  port: number,
  chunks: Buffer[],
  options: RawOptions = {},
): Promise<RawResult> {
  const { responses = 1, waitMs = ANSWER_WITHIN_MS, gapMs = 0 } = options;
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ statuses: statusesIn(text), closedByServer, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on("data", (data: Buffer) => {
      text += data.toString("latin1");
      if (headsIn(text) >= responses) finish(false);
    });
    // A reset after the server answered and closed still means the server closed.
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("connect", async () => {
      for (const [i, chunk] of chunks.entries()) {
        if (settled || socket.destroyed) return;
        if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        if (settled || socket.destroyed) return;
        socket.write(chunk);
      }
    });
  });
}
