/** Baseline: Express 5 with express.json(), REST JSON over HTTP/1.1. */
import { createServer, type Server } from "node:http";
import express from "express";
import { REST_HEADERS, REST_PATH, restBody } from "./bytes.ts";
import type { Work } from "./work.ts";

export function expressServer(work: Work): Server {
  const app = express();
  // The same bytes as the others: no X-Powered-By, no ETag.
  app.disable("x-powered-by");
  app.set("etag", false);
  app.post(REST_PATH, express.json({ limit: "64kb" }), async (req, res) => {
    const body = (req.body ?? {}) as { refresh_token?: unknown; refreshToken?: unknown };
    const token = body.refresh_token ?? body.refreshToken;
    if (typeof token !== "string" || token.trim() === "") {
      res.status(400).set(REST_HEADERS).send('{"status":"fail"}');
      return;
    }
    try {
      const tokens = await work.refresh(token);
      res.status(200).set(REST_HEADERS).send(restBody(tokens));
    } catch {
      res.status(503).set(REST_HEADERS).send('{"message":"Service Unavailable"}');
    }
  });
  return createServer(app);
}
