/**
 * Shared by the fault tests: small, fast limits; the documented bodies (the error table); a fake
 * Cognito plus the service in front of it (the timing helpers are in support/timing.ts); a
 * token-free view of a success body; and a TCP relay that shows when the service's upstream
 * connections open and close.
 * Nothing here prints a token.
 */
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { isJwt, JSON_TYPE, type RestResult, restFetch } from "../../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { type RunningService, startService } from "../../support/server.ts";

/** Fast limits: one refresh gets 1.5 s, one attempt 400 ms (3 hung attempts fit). */
export const FAST_ENV = {
  UPSTREAM_TIMEOUT_MS: "1500",
  UPSTREAM_ATTEMPT_TIMEOUT_MS: "400",
  RATE_LIMIT_PER_MINUTE: "0",
  RATE_LIMIT_FAILURES_PER_TOKEN: "0",
} as const;

/** What a bound may exceed its nominal timeout by: scheduling, not slowness. */
export const SLACK_MS = 1500;

/** The documented REST error bodies, byte for byte (the error table). */
export const BODY = {
  unauthorized: '{"message":"Unauthorized","errorCode":"ERR_UNAUTHORIZED"}',
  forbidden: '{"message":"Forbidden","errorCode":"ERR_FORBIDDEN"}',
  unavailable: '{"message":"Service Unavailable","errorCode":"ERR_SERVICE_UNAVAILABLE"}',
  internal: '{"message":"Internal Server Error","errorCode":"ERR_INTERNAL_SERVER"}',
} as const;

/** A Retry-After in whole seconds, as the table promises for 503 and 429. */
export const RETRY_AFTER = /^[1-9]\d*$/;

/** POST the REST route with a body token; the response is checked against the OpenAPI. */
export function restRefresh(url: string, token: string): Promise<RestResult> {
  return restFetch(url, { headers: JSON_TYPE, body: JSON.stringify({ refresh_token: token }) });
}

export function headerOf(result: RestResult, name: string): string | null {
  if (result.headers instanceof Headers) return result.headers.get(name);
  const value = result.headers[name];
  return value === undefined ? null : String(value);
}

/** A success body with every token replaced by what it is, so a diff never shows one. */
export function tokenFree(body: unknown): unknown {
  if (typeof body !== "object" || body === null) return body;
  const { data, ...rest } = body as { data?: Record<string, unknown> };
  if (!data) return rest;
  const shown = Object.entries(data).map(([key, value]) => {
    if (!key.endsWith("_token")) return [key, value];
    return [key, isJwt(value) ? "<jwt>" : typeof value === "string" ? "<opaque>" : value];
  });
  return { ...rest, data: Object.fromEntries(shown) };
}

export interface Rig {
  fake: FakeCognito;
  service: RunningService;
  relay: Relay | undefined;
  close(): Promise<void>;
}

/**
 * A fresh fake and a fresh service (fresh SDK client: its retry quota untouched), optionally
 * with a relay between them. `beforeStart` scripts the fake before the service loads its keys.
 */
export async function startRig(
  env: Record<string, string> = {},
  options: { relay?: boolean; beforeStart?: (fake: FakeCognito) => void } = {},
): Promise<Rig> {
  const fake = await startFakeCognito();
  options.beforeStart?.(fake);
  const relay = options.relay ? await startRelay(fake.endpoint) : undefined;
  const endpoint = relay ? { COGNITO_ENDPOINT: relay.url } : {};
  const service = await startService({ ...fake.env, ...endpoint, ...FAST_ENV, ...env });
  return {
    fake,
    service,
    relay,
    close: async () => {
      await service.close();
      relay?.close();
      await fake.close();
    },
  };
}

export interface Relay {
  url: string;
  /** Connections made so far (the JWKS fetches' included). */
  opened(): number;
  /** Of the connections made after the first `skip`, how many are still open. */
  openSince(skip: number): number;
  close(): void;
}

/** A TCP relay to `target` that tracks the connections made through it. */
export async function startRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  const live = new Map<Socket, number>();
  let opened = 0;
  const server = createServer((inbound) => {
    live.set(inbound, opened++);
    const outbound = connect(Number(port), hostname);
    inbound.pipe(outbound).pipe(inbound);
    const end = () => {
      live.delete(inbound);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on("close", end);
    outbound.on("close", end);
    inbound.on("error", end);
    outbound.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    opened: () => opened,
    openSince: (skip) => [...live.values()].filter((index) => index >= skip).length,
    close: () => {
      for (const socket of live.keys()) socket.destroy();
      server.close();
    },
  };
}
