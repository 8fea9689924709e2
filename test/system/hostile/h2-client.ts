/**
 * An HTTP/2 cleartext client for h2c.test.ts: one node:http2 session (prior knowledge),
 * renewed when the server ends it, one stream per request.
 */
import { type ClientHttp2Session, connect, constants, type IncomingHttpHeaders } from "node:http2";
import { ANSWER_WITHIN_MS } from "./wire.ts";

export interface H2Reply {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders | undefined;
  body: Buffer;
}

export interface H2Client {
  /**
   * One stream; undefined when the stream or session was refused without a response. A
   * stream the server refused unprocessed (REFUSED_STREAM, as when it has just ended the
   * session over an earlier oversized header block) is retried on a fresh session, as
   * RFC 9113 §8.7 allows.
   */
  request(headers: Record<string, string | string[]>, body?: Buffer): Promise<H2Reply | undefined>;
  close(): void;
}

export function createH2Client(url: string): H2Client {
  let session: ClientHttp2Session | undefined;
  const request = async (
    headers: Record<string, string | string[]>,
    body?: Buffer,
  ): Promise<H2Reply | undefined> => {
    for (let attempt = 0; ; attempt++) {
      const reply = await h2Once(headers, body);
      if (reply !== "refused" || attempt === 2) return reply === "refused" ? undefined : reply;
      session?.destroy();
      session = undefined;
    }
  };

  function h2Once(
    headers: Record<string, string | string[]>,
    body?: Buffer,
  ): Promise<H2Reply | "refused" | undefined> {
    if (!session || session.closed || session.destroyed) {
      const fresh = connect(url);
      fresh.on("error", () => {});
      // A session the server is ending (GOAWAY) takes no new streams: start another.
      fresh.on("goaway", () => {
        if (session === fresh) session = undefined;
      });
      session = fresh;
    }
    const current = session;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)),
        ANSWER_WITHIN_MS,
      );
      const done = (reply: H2Reply | "refused" | undefined) => {
        clearTimeout(timer);
        resolve(reply);
      };
      let response: IncomingHttpHeaders | undefined;
      let trailers: IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      let stream: ReturnType<ClientHttp2Session["request"]>;
      try {
        stream = current.request(headers);
      } catch {
        // node:http2 refused to send it (a header block past its own limits).
        return done(undefined);
      }
      stream.on("response", (h) => {
        response = h;
      });
      stream.on("trailers", (t) => {
        trailers = t;
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", () => {});
      // The answer is complete when its body ends; a client still uploading then gives up, as
      // real clients do (the server answers 405 or 413 without reading the rest, and does
      // not reset the stream itself).
      stream.on("end", () => {
        if (!response) return;
        done({
          status: Number(response[":status"]),
          headers: response,
          trailers,
          body: Buffer.concat(chunks),
        });
        if (!stream.closed) stream.close();
      });
      stream.on("close", () => {
        if (!response)
          return done(stream.rstCode === constants.NGHTTP2_REFUSED_STREAM ? "refused" : undefined);
        done({
          status: Number(response[":status"]),
          headers: response,
          trailers,
          body: Buffer.concat(chunks),
        });
      });
      stream.end(body);
    });
  }
  return {
    request,
    close: () => session?.close(),
  };
}
