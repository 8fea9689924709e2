/**
 * One real service per hostile-input file, on port 0, in front of the fast programmable
 * Cognito fake, with rate limits off so thousands of requests are all judged on their input.
 *
 * Generated cases per run (fast-check numRuns; the astral-character probe not counted):
 *   rest-route.test.ts        4,300
 *   connect-endpoint.test.ts  3,600
 *   raw-http1.test.ts         1,828  (28 of them slow: long Content-Length, slowloris)
 *   h2c.test.ts               1,600
 *   crash-probes.test.ts        230  (against src/main.ts as a process)
 *   total                    11,558  (at least 10,000 asked for)
 *
 * Tokens never reach a log: the good token used to prove the server is still up is
 * asserted on, never printed, and generated tokens are junk the fake never issued.
 */
import { expect } from "vitest";
import { REST_PATH } from "../../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { type RunningService, startService } from "../../support/server.ts";

export { REST_PATH };
export const RPC_PATH = "/worth.auth.v1.AuthService/RefreshCustomerToken";

/** A genuine refresh answered over REST and over Connect, as refreshBoth() reports it. */
const WARM = { rest: 200, restStatus: "success", rpc: 200, tokenType: "Bearer" };

/** Memory may grow by at most this much over a whole file's cases. */
export const MEMORY_BOUND_BYTES = 200 * 1024 * 1024;

export interface Hostile {
  fake: FakeCognito;
  service: RunningService;
  port: number;
  /** A genuine refresh succeeds over REST and over Connect: the server is still up. */
  expectAlive(): Promise<void>;
  /** Nothing uncaught; memory and Object.prototype within bounds of the start. */
  expectBounded(): Promise<void>;
  close(): Promise<void>;
}

interface Mark {
  rss: number;
  heapUsed: number;
  protoKeys: string[];
}

async function mark(): Promise<Mark> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
  } else {
    // Without --expose-gc: give the collector a moment and just measure.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed, protoKeys: Object.getOwnPropertyNames(Object.prototype).sort() };
}

export async function startHostile(env: Record<string, string> = {}): Promise<Hostile> {
  // The server runs in this process: an exception or rejection nobody handles would end it
  // in production (crash-probes.test.ts shows one in a real process).
  const unhandled: string[] = [];
  const record = (reason: unknown) => {
    unhandled.push(reason instanceof Error ? reason.name : typeof reason);
  };
  process.on("unhandledRejection", record);
  process.on("uncaughtException", record);
  const fake = await startFakeCognito();
  const service = await startService({
    ...fake.env,
    RATE_LIMIT_PER_MINUTE: "0",
    RATE_LIMIT_FAILURES_PER_TOKEN: "0",
    ...env,
  });
  /** A genuine refresh over REST and over Connect: what each was answered. */
  const refreshBoth = async () => {
    const rest = await fetch(`${service.url}${REST_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: fake.issueRefreshToken() }),
    });
    const restStatus = ((await rest.json()) as { status: string }).status;
    const rpc = await fetch(`${service.url}${RPC_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken: fake.issueRefreshToken() }),
    });
    const tokenType = ((await rpc.json()) as { tokenType: string }).tokenType;
    return { rest: rest.status, restStatus, rpc: rpc.status, tokenType };
  };
  const expectAlive = async () => {
    const answered = await refreshBoth();
    expect(answered.rest).toBe(200);
    expect(answered.restStatus).toBe("success");
    expect(answered.rpc).toBe(200);
    expect(answered.tokenType).toBe("Bearer");
  };
  // Warmed up before the baseline is measured. This runs in a hook: a service that cannot
  // refresh yet is a setup error that says so, not a failed expectation outside any test.
  const warm = await refreshBoth();
  if (JSON.stringify(warm) !== JSON.stringify(WARM)) {
    throw new Error(`the service did not refresh before the cases: ${JSON.stringify(warm)}`);
  }
  const before = await mark();
  return {
    fake,
    service,
    port: service.port,
    expectAlive,
    async expectBounded() {
      const after = await mark();
      expect(unhandled, "uncaught exceptions or unhandled rejections").toEqual([]);
      expect(after.protoKeys, "Object.prototype gained keys").toEqual(before.protoKeys);
      expect(after.heapUsed - before.heapUsed).toBeLessThan(MEMORY_BOUND_BYTES);
      expect(after.rss - before.rss).toBeLessThan(MEMORY_BOUND_BYTES);
    },
    async close() {
      await service.close();
      await fake.close();
    },
  };
}

/** Connect and gRPC codes whose HTTP mapping is 5xx (Connect protocol, "Error Codes"). */
const SERVER_CODES = new Map<string, number>([
  ["unknown", 2],
  ["deadline_exceeded", 4],
  ["unimplemented", 12],
  ["internal", 13],
  ["unavailable", 14],
  ["data_loss", 15],
]);

export interface RpcRequestFacts {
  /** The request named a deadline (connect-timeout-ms or grpc-timeout). */
  hasDeadline: boolean;
  /**
   * The request asked for what the protocol answers with unimplemented: a compression the
   * server does not offer, or (gRPC, gRPC-Web) not exactly one message for a unary method.
   */
  asksUnimplemented: boolean;
}

/**
 * Why an RPC error code would be a server fault for this request, or undefined when it is a
 * client fault or the protocol's own answer to what the client asked: deadline_exceeded for a
 * client deadline, unimplemented for a compression the server lacks or a message count the
 * method does not take (gRPC's "cardinality violation").
 */
export function serverFault(code: string | number, facts: RpcRequestFacts): string | undefined {
  const name =
    typeof code === "number"
      ? [...SERVER_CODES].find(([, n]) => n === code)?.[0]
      : code.toLowerCase();
  if (name === undefined || !SERVER_CODES.has(name)) {
    return undefined;
  }
  if (name === "deadline_exceeded" && facts.hasDeadline) {
    return undefined;
  }
  if (name === "unimplemented" && facts.asksUnimplemented) {
    return undefined;
  }
  return `server-fault code ${name}`;
}
