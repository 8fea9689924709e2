import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRunning, startTestCognito, type TestCognito } from "../../support/cognito-local.ts";
import { spawnMain } from "../../support/spawn-main.ts";

const run = promisify(execFile);

describe("the process", () => {
  it("exits 2 with one line naming the variable when configuration is bad", async () => {
    const main = spawnMain({ PORT: "eighty" });
    expect(await main.exited).toBe(2);
    const lines = main.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^invalid configuration: PORT: expected an integer/);
  });

  it("refuses a client secret with initiate-auth at start-up, saying why", async () => {
    const main = spawnMain({
      COGNITO_USER_POOL_ID: "us-east-1_Abc123",
      COGNITO_CLIENT_ID: "abc123",
      COGNITO_CLIENT_SECRET: "do-not-print-me",
      COGNITO_REFRESH_API: "initiate-auth",
    });
    expect(await main.exited).toBe(2);
    expect(main.stderr()).toMatch(/COGNITO_CLIENT_SECRET: .*SECRET_HASH/);
    expect(main.stderr()).not.toContain("do-not-print-me");
    expect(main.stderr().trim().split("\n")).toHaveLength(1);
  });

  it.each([
    ["HOST=0.0.0.0", { HOST: "0.0.0.0" }, /^invalid configuration: HOST: the embedded default/],
    [
      "COGNITO_USER_POOL_ID set but blank",
      { COGNITO_USER_POOL_ID: "" },
      /^invalid configuration: COGNITO_USER_POOL_ID: is set but blank/,
    ],
  ])("refuses to start the embedded demo with %s, in one line", async (_label, env, line) => {
    const main = spawnMain(env);
    expect(await main.exited).toBe(2);
    const lines = main.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it("names TLS_CERT in one line when the certificate file cannot be read", async () => {
    const main = spawnMain({
      COGNITO_USER_POOL_ID: "us-east-1_Abc123",
      COGNITO_CLIENT_ID: "abc123",
      TLS_CERT: "/nonexistent/cert.pem",
      TLS_KEY: "/nonexistent/key.pem",
    });
    expect(await main.exited).toBe(2);
    const lines = main.stderr().trim().split("\n");
    expect(lines.at(-1)).toBe(
      "invalid configuration: TLS_CERT: cannot read /nonexistent/cert.pem (ENOENT)",
    );
  });

  describe("configured for Cognito", () => {
    let cognito: TestCognito;
    let busy: Server;
    let busyPort: number;

    beforeAll(async () => {
      cognito = await startTestCognito();
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
      busyPort = (busy.address() as { port: number }).port;
    });
    afterAll(async () => {
      busy.close();
      await cognito.stop();
    });

    it("says in one line that the port is busy, without a stack trace", async () => {
      const main = spawnMain({
        ...cognito.env,
        HOST: "127.0.0.1",
        PORT: String(busyPort),
        METRICS_PORT: "0",
      });
      expect(await main.exited).toBe(1);
      const lines = main.stderr().trim().split("\n");
      expect(lines.at(-1)).toBe(
        `port ${busyPort} on 127.0.0.1 is already in use: set PORT to a free port`,
      );
      expect(main.stderr()).not.toMatch(/\n\s+at /);
    });

    it("serves, then exits 0 on SIGTERM", async () => {
      const main = spawnMain({ ...cognito.env, HOST: "127.0.0.1", PORT: "0", METRICS_PORT: "0" });
      await main.waitFor('"message":"listening"');
      const url = /"url":"([^"]+)"/.exec(main.stderr())?.[1];
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      main.child.kill("SIGTERM");
      expect(await main.exited).toBe(0);
    });
  });

  describe("with no configuration (the embedded default)", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "embedded-"));
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it("prints a curl command that works as pasted, and Ctrl-C stops everything", async () => {
      const main = spawnMain({ LOCAL_DATA_DIR: dataDir, PORT: "0", METRICS_PORT: "0" });
      await main.waitFor("Press Ctrl-C to stop.", 30_000);
      const command = main
        .stdout()
        .split("\n")
        .filter((line) => line.startsWith("  curl") || line.startsWith("    -d"))
        .join("\n");
      expect(command).toMatch(/^ {2}curl -sS -X POST http:\/\/127\.0\.0\.1:\d+\/auth\/api\/v1/);
      const { stdout } = await run("bash", ["-c", command]);
      const body = JSON.parse(stdout) as { status: string; data: Record<string, unknown> };
      expect(body.status).toBe("success");
      expect(Object.keys(body.data)).toEqual([
        "access_token",
        "id_token",
        "expires_in",
        "token_type",
      ]);

      const running = JSON.parse(
        (await import("node:fs")).readFileSync(join(dataDir, "running.json"), "utf8"),
      ) as { pid: number };
      expect(isRunning(running.pid)).toBe(true);
      main.child.kill("SIGINT");
      expect(await main.exited).toBe(0);
      expect(existsSync(join(dataDir, "running.json"))).toBe(false);
      expect(isRunning(running.pid)).toBe(false);
    });
  });
});
