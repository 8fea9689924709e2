import { FetchError, NonRetryableFetchError } from "aws-jwt-verify/error";
import type { Fetcher } from "aws-jwt-verify/https";

/**
 * aws-jwt-verify's own fetcher speaks https only. Emulators (cognito-local)
 * serve their JWKS over plain http, so when COGNITO_ENDPOINT is set we fetch
 * with the platform's fetch, which speaks both. Config only ever builds an
 * http JWKS URI from an explicitly configured endpoint.
 */
export class HttpJwksFetcher implements Fetcher {
  readonly #timeoutMs: number;

  constructor(timeoutMs = 3000) {
    this.#timeoutMs = timeoutMs;
  }

  async fetch(uri: string): Promise<ArrayBuffer> {
    let response: Response;
    try {
      response = await fetch(uri, { signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (cause) {
      throw new FetchError(uri, String(cause));
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new NonRetryableFetchError(uri, `Status code is ${response.status}, expected 200`);
    }
    return response.arrayBuffer();
  }
}
