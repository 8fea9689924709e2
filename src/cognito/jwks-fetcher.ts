import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { FetchError, NonRetryableFetchError } from "aws-jwt-verify/error";
import type { Fetcher } from "aws-jwt-verify/https";

// A JWKS is a few keys; anything this large is not one.
const MAX_BYTES = 1024 * 1024;

/**
 * aws-jwt-verify's own fetcher speaks https only. Emulators (cognito-local)
 * serve their JWKS over plain http, so when COGNITO_ENDPOINT is set we fetch
 * with node:http (or node:https). Config only ever builds an http JWKS URI
 * from an explicitly configured endpoint. Not the global fetch: loading undici
 * for one request at start-up costs ~45 ms, which the production path (the
 * library's node:https fetcher) does not pay, so the emulator path would
 * misstate start-up time.
 */
export class HttpJwksFetcher implements Fetcher {
  readonly #timeoutMs: number;

  constructor(timeoutMs = 3000) {
    this.#timeoutMs = timeoutMs;
  }

  fetch(uri: string): Promise<ArrayBuffer> {
    const fail = (cause: unknown) => new FetchError(uri, String(cause));
    return new Promise((resolve, reject) => {
      const url = new URL(uri);
      const get = url.protocol === "https:" ? httpsGet : httpGet;
      const signal = AbortSignal.timeout(this.#timeoutMs);
      const req = get(url, { signal }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new NonRetryableFetchError(uri, `Status code is ${res.statusCode}, expected 200`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BYTES) req.destroy(new Error(`response over ${MAX_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
        });
        res.on("error", (cause) => reject(fail(cause)));
      });
      req.on("error", (cause) => reject(fail(cause)));
    });
  }
}
