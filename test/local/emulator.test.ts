import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  AdminDeleteUserCommand,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { JwtVerifier } from "aws-jwt-verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { startEmbedded } from "../../src/local/embedded.ts";
import { startEmulator } from "../../src/local/emulator.ts";
import {
  eventually,
  isRunning,
  startTestCognito,
  type TestCognito,
} from "../support/cognito-local.ts";

function claims(jwt: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(String(jwt).split(".")[1] ?? "", "base64url").toString());
}

function refreshWith(cognito: TestCognito, refreshToken: string) {
  return cognito.adminClient.send(
    new InitiateAuthCommand({
      ClientId: cognito.clientId,
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    }),
  );
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "worth-emulator-test-"));
}

describe("embedded cognito-local", () => {
  let cognito: TestCognito;
  beforeAll(async () => {
    cognito = await startTestCognito();
  });
  afterAll(() => cognito?.stop());

  const refresh = (refreshToken: string) => refreshWith(cognito, refreshToken);

  it("seeds a demo customer whose tokens carry custom:id", async () => {
    const { AuthenticationResult: tokens } = await refresh(await cognito.freshRefreshToken());
    const id = claims(tokens?.IdToken);
    expect(id["custom:id"]).toBe(cognito.demo.customerId);
    expect(id).toMatchObject({ email: "demo.customer@example.com", email_verified: true });
    const access = claims(tokens?.AccessToken);
    expect(access).toMatchObject({ token_use: "access", client_id: cognito.clientId });
    expect(Number(access.exp) - Number(access.iat)).toBe(3600);
  });

  it("produces settings loadConfig accepts, whose issuer and JWKS verify its tokens", async () => {
    const config = loadConfig({ ...cognito.env });
    expect(config.cognito).toMatchObject({
      refreshApi: "initiate-auth",
      userPoolId: cognito.userPoolId,
    });
    const { AuthenticationResult: tokens } = await refresh(await cognito.freshRefreshToken());
    const verifier = JwtVerifier.create({
      issuer: config.cognito.issuer,
      audience: cognito.clientId,
      jwksUri: config.cognito.jwksUri,
    });
    // aws-jwt-verify fetches only https: URLs, so the emulator's JWKS is handed to it.
    verifier.cacheJwks(await (await fetch(config.cognito.jwksUri)).json());
    await expect(verifier.verify(String(tokens?.IdToken))).resolves.toMatchObject({
      token_use: "id",
    });
  });

  it("refreshes without ExpiresIn, TokenType or a rotated refresh token", async () => {
    const { AuthenticationResult: tokens } = await refresh(await cognito.freshRefreshToken());
    expect(tokens?.AccessToken).toBeTruthy();
    expect(tokens?.IdToken).toBeTruthy();
    expect(tokens?.ExpiresIn).toBeUndefined();
    expect(tokens?.TokenType).toBeUndefined();
    expect(tokens?.RefreshToken).toBeUndefined();
  });

  it("has no GetTokensFromRefreshToken, hence COGNITO_REFRESH_API=initiate-auth", async () => {
    const call = cognito.adminClient.send(
      new GetTokensFromRefreshTokenCommand({
        ClientId: cognito.clientId,
        RefreshToken: await cognito.freshRefreshToken(),
      }),
    );
    await expect(call).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(cognito.env.COGNITO_REFRESH_API).toBe("initiate-auth");
  });

  it("refuses a revoked refresh token with NotAuthorizedException", async () => {
    const { refreshToken } = await cognito.createCustomer();
    await refresh(refreshToken);
    await cognito.adminClient.send(
      new RevokeTokenCommand({ ClientId: cognito.clientId, Token: refreshToken }),
    );
    await expect(refresh(refreshToken)).rejects.toMatchObject({ name: "NotAuthorizedException" });
  });

  it("refuses a deleted customer's refresh token with NotAuthorizedException", async () => {
    const customer = await cognito.createCustomer();
    await cognito.adminClient.send(
      new AdminDeleteUserCommand({ UserPoolId: cognito.userPoolId, Username: customer.username }),
    );
    const call = refresh(customer.refreshToken);
    await expect(call).rejects.toMatchObject({ name: "NotAuthorizedException" });
  });

  it("creates a different customer on each createCustomer() call", async () => {
    const [a, b] = await Promise.all([cognito.createCustomer(), cognito.createCustomer()]);
    expect(a.username).not.toBe(b.username);
    expect(a.customerId).not.toBe(b.customerId);
    const { AuthenticationResult: tokens } = await refresh(b.refreshToken);
    expect(claims(tokens?.IdToken)["custom:id"]).toBe(b.customerId);
  });
});

describe("emulator lifecycle", () => {
  it("reuses the same pool after a restart", async () => {
    const dataDir = tempDir();
    try {
      const first = await startTestCognito({ dataDir });
      const refreshToken = await first.freshRefreshToken();
      await first.stop();
      const second = await startTestCognito({ dataDir });
      try {
        expect([second.userPoolId, second.clientId]).toEqual([first.userPoolId, first.clientId]);
        expect(second.demo.username).toBe(first.demo.username);
        await expect(refreshWith(second, refreshToken)).resolves.toHaveProperty(
          "AuthenticationResult.IdToken",
        );
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("stops the emulator process on stop()", async () => {
    const cognito = await startTestCognito();
    expect(isRunning(cognito.pid)).toBe(true);
    await cognito.stop();
    expect(isRunning(cognito.pid)).toBe(false);
    await expect(fetch(`${cognito.endpoint}/health`)).rejects.toThrow();
  });

  it("fails with one clear line when the port is busy", async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const address = busy.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const dataDir = tempDir();
    try {
      const start = startEmulator({ dataDir, port });
      await expect(start).rejects.toThrow(
        /^cognito-local could not listen on .*port already in use$/,
      );
    } finally {
      busy.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("the child exits when its parent dies", async () => {
    const dataDir = tempDir();
    const emulatorModule = pathToFileURL(join(import.meta.dirname, "../../src/local/emulator.ts"));
    const script = `
      import { startEmulator } from ${JSON.stringify(emulatorModule.href)};
      const emulator = await startEmulator({ dataDir: ${JSON.stringify(dataDir)} });
      console.log(emulator.pid);
      setInterval(() => {}, 60_000);`;
    const parent = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        parent.stdout.once("data", (chunk: Buffer) => resolve(Number(String(chunk).trim())));
        parent.once("exit", (code) => reject(new Error(`parent exited early (${code})`)));
      });
      expect(isRunning(pid)).toBe(true);
      parent.kill("SIGKILL");
      expect(await eventually(() => !isRunning(pid))).toBe(true);
    } finally {
      parent.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("startEmbedded publishes running.json while it runs and refuses a second instance", async () => {
    const dataDir = tempDir();
    try {
      const embedded = await startEmbedded({ dataDir });
      const running = JSON.parse(readFileSync(join(dataDir, "running.json"), "utf8"));
      expect(running).toMatchObject({
        pid: process.pid,
        endpoint: embedded.endpoint,
        userPoolId: embedded.env.COGNITO_USER_POOL_ID,
        clientId: embedded.env.COGNITO_CLIENT_ID,
      });
      await expect(startEmbedded({ dataDir })).rejects.toThrow(/already in use by process/);
      expect(await embedded.freshRefreshToken()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      await embedded.stop();
      expect(existsSync(join(dataDir, "running.json"))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
