/** Baseline: raw node:http2, gRPC over cleartext HTTP/2 (length-prefixed protobuf, trailers). */

import { createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { RefreshCustomerTokenRequestSchema } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { RPC_PATH, responseMessage } from "./bytes.ts";
import type { Work } from "./work.ts";

function fail(stream: ServerHttp2Stream, code: number): void {
  if (stream.headersSent) {
    stream.close();
    return;
  }
  stream.respond(
    { ":status": 200, "content-type": "application/grpc", "grpc-status": String(code) },
    { endStream: true },
  );
}

export function rawHttp2Server(work: Work): Http2Server {
  const server = createServer();
  server.on("stream", (stream, headers) => {
    if (headers[":path"] !== RPC_PATH || headers[":method"] !== "POST") {
      fail(stream, 12); // unimplemented
      return;
    }
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const frame = Buffer.concat(chunks);
      // One uncompressed message: flag byte 0, then a 4-byte big-endian length.
      const length = frame.length >= 5 ? frame.readUInt32BE(1) : -1;
      if (frame[0] !== 0 || length !== frame.length - 5) {
        fail(stream, 3); // invalid_argument
        return;
      }
      let token: string;
      try {
        token = fromBinary(RefreshCustomerTokenRequestSchema, frame.subarray(5)).refreshToken;
      } catch {
        fail(stream, 3);
        return;
      }
      work.refresh(token).then(
        (tokens) => {
          if (stream.destroyed) return;
          const message = responseMessage(tokens);
          const out = Buffer.allocUnsafe(5 + message.length);
          out[0] = 0;
          out.writeUInt32BE(message.length, 1);
          out.set(message, 5);
          stream.respond(
            { ":status": 200, "content-type": "application/grpc", "cache-control": "no-store" },
            { waitForTrailers: true },
          );
          stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          stream.end(out);
        },
        () => fail(stream, 14), // unavailable
      );
    });
  });
  return server;
}
