/** Baseline: raw node:http, REST JSON over HTTP/1.1. */
import { createServer, type Server } from "node:http";
import { REST_HEADERS, REST_PATH, restBody, restToken } from "./bytes.ts";
import type { Work } from "./work.ts";

const FAILED = '{"message":"Service Unavailable","errorCode":"ERR_SERVICE_UNAVAILABLE"}';

export function rawHttpServer(work: Work): Server {
  return createServer((req, res) => {
    if (req.method !== "POST" || req.url !== REST_PATH) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let token: string;
      try {
        token = restToken(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400, REST_HEADERS).end('{"status":"fail"}');
        return;
      }
      work.refresh(token).then(
        (tokens) => {
          const body = restBody(tokens);
          res.writeHead(200, { ...REST_HEADERS, "content-length": Buffer.byteLength(body) });
          res.end(body);
        },
        () => res.writeHead(503, REST_HEADERS).end(FAILED),
      );
    });
  });
}
