/**
 * The real `buf curl` (from @bufbuild/buf) against a real server backed by cognito-local:
 * discovery through server reflection (v1 and v1alpha), a refresh over Connect, gRPC and
 * gRPC-Web with and without --schema, and gRPC health. Tokens go in through --data and are
 * only ever asserted on after parsing; buf's output is printed only when it holds none.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claims, isJwt } from "../../support/clients.ts";
import { startTestCognito, type TestCognito } from "../../support/cognito-local.ts";
import { type RunningService, startService } from "../../support/server.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BUF = `${ROOT}node_modules/.bin/buf`;
const REFRESH = "worth.auth.v1.AuthService/RefreshCustomerToken";

interface BufResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs buf asynchronously: the server it calls lives in this process. */
function buf(args: string[]): Promise<BufResult> {
  return new Promise((resolve) => {
    // cwd is the repository, so `--schema .` is this buf workspace.
    execFile(BUF, args, { cwd: ROOT, timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const PROTOCOLS: ReadonlyArray<readonly [string, string[]]> = [
  ["Connect (buf's default)", []],
  ["gRPC over cleartext HTTP/2", ["--protocol", "grpc", "--http2-prior-knowledge"]],
  ["gRPC-Web", ["--protocol", "grpcweb"]],
];

const SCHEMAS: ReadonlyArray<readonly [string, string[]]> = [
  ["server reflection", []],
  ["--schema .", ["--schema", "."]],
];

let cognito: TestCognito;
let service: RunningService;
let refreshToken: string;

beforeAll(async () => {
  cognito = await startTestCognito();
  service = await startService(cognito.env);
  refreshToken = await cognito.freshRefreshToken();
});

afterAll(async () => {
  await service?.close();
  await cognito?.stop();
});

describe("buf curl --list-methods (server reflection, no --schema)", () => {
  it.each([["grpc-v1"], ["grpc-v1alpha"]])(
    "lists every served method over reflection %s",
    async (reflectProtocol) => {
      const result = await buf([
        "curl",
        "--list-methods",
        "--reflect-protocol",
        reflectProtocol,
        service.url,
      ]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout.trim().split("\n").sort()).toEqual([
        "grpc.health.v1.Health/Check",
        "grpc.health.v1.Health/List",
        "grpc.health.v1.Health/Watch",
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        REFRESH,
        "worth.auth.v1.AuthService/RevokeCustomerToken",
      ]);
    },
  );

  it("lists them over gRPC too", async () => {
    const result = await buf([
      "curl",
      "--list-methods",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      service.url,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")).toContain(REFRESH);
  });
});

describe("buf curl RefreshCustomerToken", () => {
  const cases = SCHEMAS.flatMap(([schema, schemaArgs]) =>
    PROTOCOLS.map(
      ([protocol, protocolArgs]) => [protocol, schema, protocolArgs, schemaArgs] as const,
    ),
  );

  it.each(cases)("returns a fresh token pair over %s with %s", async (_p, _s, protocol, schema) => {
    const data = JSON.stringify({ refresh_token: refreshToken });
    const result = await buf([
      "curl",
      ...protocol,
      ...schema,
      "--data",
      data,
      `${service.url}/${REFRESH}`,
    ]);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(isJwt(body.accessToken)).toBe(true);
    expect(isJwt(body.idToken)).toBe(true);
    expect(claims(body.accessToken).sub).toBe(cognito.demo.username);
    expect(claims(body.idToken).aud).toBe(cognito.clientId);
    expect(body.tokenType).toBe("Bearer");
    expect(Number(body.expiresIn)).toBeGreaterThan(3500);
    // The emulator does not rotate: no refresh token comes back (proto3 omits it).
    expect("refreshToken" in body).toBe(false);
  });

  it.each(PROTOCOLS)("fails an invalid token as unauthenticated over %s", async (_p, protocol) => {
    const data = JSON.stringify({ refresh_token: "not-a-refresh-token" });
    const result = await buf(["curl", ...protocol, "--data", data, `${service.url}/${REFRESH}`]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(JSON.parse(result.stderr)).toEqual({ code: "unauthenticated", message: "Unauthorized" });
  });
});

describe("buf curl grpc.health.v1.Health/Check", () => {
  it.each(PROTOCOLS)(
    "answers SERVING for the server and AuthService over %s",
    async (_p, protocol) => {
      for (const service_ of ["", "worth.auth.v1.AuthService"]) {
        const result = await buf([
          "curl",
          ...protocol,
          "--data",
          JSON.stringify({ service: service_ }),
          `${service.url}/grpc.health.v1.Health/Check`,
        ]);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(JSON.parse(result.stdout)).toEqual({ status: "SERVING" });
      }
    },
  );

  it("fails an unknown service with not_found", async () => {
    const result = await buf([
      "curl",
      "--data",
      '{"service":"worth.auth.v1.NoSuchService"}',
      `${service.url}/grpc.health.v1.Health/Check`,
    ]);
    expect(result.code).not.toBe(0);
    expect(JSON.parse(result.stderr)).toMatchObject({ code: "not_found" });
  });
});
