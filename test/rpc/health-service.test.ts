/**
 * grpc.health.v1.Health seen by @grpc/grpc-js's own client, with the .proto grpc-health-check
 * ships: Check and Watch for the server and AuthService against a real cognito-local, and the
 * readiness transitions (keys not loaded yet, keys loaded, draining at close()).
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restFetch } from "../support/clients.ts";
import { eventually, startTestCognito, type TestCognito } from "../support/cognito-local.ts";
import { closedPort } from "../support/ports.ts";
import { type RunningService, startService } from "../support/server.ts";

const AUTH_SERVICE = "worth.auth.v1.AuthService";

type Status = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

interface HealthClient {
  check(service: string): Promise<Status>;
  /** Every status the stream delivers, and how it ended. */
  watch(service: string): { seen: Status[]; ended: Promise<grpc.StatusObject>; cancel(): void };
  close(): void;
}

function healthClient(port: number): HealthClient {
  const protoDir = fileURLToPath(
    new URL("../../node_modules/grpc-health-check/proto", import.meta.url),
  );
  const definition = loadSync("health/v1/health.proto", { includeDirs: [protoDir], enums: String });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const client = new loaded.grpc.health.v1.Health(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  return {
    check: (service) =>
      new Promise((resolve, reject) => {
        client.Check?.call(
          client,
          { service },
          (error: grpc.ServiceError | null, res?: { status: Status }) =>
            error || !res ? reject(error) : resolve(res.status),
        );
      }),
    watch(service) {
      const seen: Status[] = [];
      const call = client.Watch?.call(client, { service }) as grpc.ClientReadableStream<{
        status: Status;
      }>;
      call.on("data", (res) => seen.push(res.status));
      const ended = new Promise<grpc.StatusObject>((resolve) => {
        call.on("status", resolve);
        call.on("error", () => {}); // the status event carries the outcome
      });
      return { seen, ended, cancel: () => call.cancel() };
    },
    close: () => client.close(),
  };
}

const readyz = async (url: string) =>
  (await restFetch(url, { method: "GET", path: "/readyz" })).status;

let cognito: TestCognito;
let service: RunningService;
let health: HealthClient;

beforeAll(async () => {
  cognito = await startTestCognito();
  service = await startService(cognito.env);
  health = healthClient(service.port);
});

afterAll(async () => {
  health?.close();
  await service?.close();
  await cognito?.stop();
});

describe("Health/Check on a ready server", () => {
  it("answers SERVING for the whole server and for AuthService", async () => {
    expect(await health.check("")).toBe("SERVING");
    expect(await health.check(AUTH_SERVICE)).toBe("SERVING");
  });

  it("fails an unknown service with NOT_FOUND, as the health-checking spec says", async () => {
    await expect(health.check("worth.auth.v1.NoSuchService")).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });
});

describe("Health/Check with a long service name", () => {
  it("echoes only the first 64 characters of it in grpc-message", async () => {
    const name = `x${"y".repeat(60_000)}`;
    const error = await health.check(name).catch((reason: grpc.ServiceError) => reason);
    expect(error).toMatchObject({ code: grpc.status.NOT_FOUND });
    const details = String((error as grpc.ServiceError).details);
    expect(details).toBe(`unknown service ${JSON.stringify(`${name.slice(0, 64)}…`)}`);
  });
});

describe("Health/Watch", () => {
  it("answers SERVICE_UNKNOWN for an unknown service and keeps the stream open", async () => {
    const watch = health.watch("worth.auth.v1.NoSuchService");
    expect(await eventually(() => watch.seen.length > 0)).toBe(true);
    expect(watch.seen).toEqual(["SERVICE_UNKNOWN"]);
    watch.cancel();
    expect((await watch.ended).code).toBe(grpc.status.CANCELLED);
  });

  it("streams SERVING, then NOT_SERVING once close() begins, then ends without holding close()", async () => {
    const own = await startService(cognito.env);
    const client = healthClient(own.port);
    try {
      const overall = client.watch("");
      const auth = client.watch(AUTH_SERVICE);
      expect(await eventually(() => overall.seen.length > 0 && auth.seen.length > 0)).toBe(true);
      expect(overall.seen).toEqual(["SERVING"]);
      expect(auth.seen).toEqual(["SERVING"]);
      const started = Date.now();
      // A generous deadline: were the Watch streams holding the server, close() would use it all.
      await own.app.close(8000);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(overall.seen).toEqual(["SERVING", "NOT_SERVING"]);
      expect(auth.seen).toEqual(["SERVING", "NOT_SERVING"]);
      expect((await overall.ended).code).toBe(grpc.status.OK);
      expect((await auth.ended).code).toBe(grpc.status.OK);
    } finally {
      client.close();
    }
  });
});

describe("readiness transitions", () => {
  it("answers NOT_SERVING and /readyz 503 while the JWKS endpoint is unreachable", async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const broken = await startService({
      ...cognito.env,
      COGNITO_ENDPOINT: unreachable,
      COGNITO_JWKS_URI: `${unreachable}/jwks.json`,
    });
    const client = healthClient(broken.port);
    try {
      expect(await client.check("")).toBe("NOT_SERVING");
      expect(await client.check(AUTH_SERVICE)).toBe("NOT_SERVING");
      expect(await readyz(broken.url)).toBe(503);
    } finally {
      client.close();
      await broken.close();
    }
  });

  it("flips to SERVING, in Check, Watch and /readyz, once the keys load", async () => {
    // The first load fails (as with an unreachable JWKS); the retry waits for the test.
    let loadKeys!: () => void;
    let attempts = 0;
    const verifier = {
      hydrate: () => {
        attempts++;
        if (attempts === 1) return Promise.reject(new Error("jwks unreachable"));
        return new Promise<void>((resolve) => {
          loadKeys = resolve;
        });
      },
      verify: () => Promise.reject(new Error("not used")),
    };
    const late = await startService(cognito.env, { overrides: { verifier } });
    const client = healthClient(late.port);
    try {
      const watch = client.watch("");
      expect(await client.check("")).toBe("NOT_SERVING");
      expect(await readyz(late.url)).toBe(503);
      expect(await eventually(() => attempts === 2, 10_000)).toBe(true);
      expect(watch.seen).toEqual(["NOT_SERVING"]);
      loadKeys();
      expect(await eventually(() => watch.seen.length === 2)).toBe(true);
      expect(watch.seen).toEqual(["NOT_SERVING", "SERVING"]);
      expect(await client.check("")).toBe("SERVING");
      expect(await client.check(AUTH_SERVICE)).toBe("SERVING");
      expect(await readyz(late.url)).toBe(200);
    } finally {
      client.close();
      await late.close();
    }
  });
});
