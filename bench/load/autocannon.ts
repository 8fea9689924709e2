/**
 * HTTP/1.1 load with autocannon (closed loop: each connection sends its next request when the
 * last one is answered). Every request carries its own refresh token (autocannon's [<id>]
 * replacement), so none are coalesced.
 */
import autocannon from "autocannon";
import type { LoadRun } from "./stats.ts";
import { TOKEN_PREFIX } from "./tokens.ts";

export interface Http1Load {
  url: string;
  path: string;
  headers: Record<string, string>;
  /** "snake" for the REST route, "camel" for Connect JSON. */
  field: "refresh_token" | "refreshToken";
  connections: number;
  durationMs: number;
}

export function autocannonRun(load: Http1Load): Promise<LoadRun> {
  const latenciesMs: number[] = [];
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  return new Promise<LoadRun>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${load.url}${load.path}`,
        method: "POST",
        headers: load.headers,
        body: JSON.stringify({ [load.field]: `${TOKEN_PREFIX}.[<id>]` }),
        idReplacement: true,
        connections: load.connections,
        pipelining: 1,
        duration: load.durationMs / 1000,
        timeout: 10,
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const sent = Math.max(result.requests.sent, ok + failed);
        resolve({ ok, failed, sent, elapsedMs: performance.now() - started, latenciesMs });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        latenciesMs.push(responseTime);
      } else {
        failed++;
      }
    });
    instance.on("reqError", () => {
      failed++;
    });
  });
}
