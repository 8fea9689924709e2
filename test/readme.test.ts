import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCognito, type TestCognito } from "./support/cognito-local.ts";
import { validateRestResponse } from "./support/openapi.ts";
import { type RunningService, startService } from "./support/server.ts";

/**
 * Runs the README's examples against a live server, so they stay true. The only
 * substitutions: the server's address (tests use a free port, not 8080) and the
 * demo-token command (tests have their own emulator, not `npm start`'s).
 */
const run = promisify(execFile);
const root = new URL("../", import.meta.url);
const readme = readFileSync(new URL("README.md", root), "utf8");

function blocks(language: string): string[] {
  const fence = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, "g");
  return [...readme.matchAll(fence)].map((match) => match[1] ?? "");
}

const METRICS = "http://127.0.0.1:9464";
const examples = blocks("sh")
  .filter((block) => block.includes("http://127.0.0.1:8080") || block.includes(METRICS))
  .flatMap((block) => block.split(/\n\n/))
  .map((command) => command.trim());

describe("the README's examples", () => {
  let cognito: TestCognito;
  let service: RunningService;

  beforeAll(async () => {
    cognito = await startTestCognito();
    service = await startService(cognito.env);
  });
  afterAll(async () => {
    await service?.close();
    await cognito?.stop();
  });

  async function runWithToken(command: string): Promise<{ stdout: string; token: string }> {
    const token = await cognito.freshRefreshToken();
    const script = command
      .replaceAll("http://127.0.0.1:8080", service.url)
      .replaceAll(METRICS, service.metricsUrl)
      .replaceAll("$(npm run --silent demo-token)", token);
    const { stdout } = await run("bash", ["-c", script], { cwd: fileURLToPath(root) });
    return { stdout, token };
  }
  const runExample = async (command: string) => (await runWithToken(command)).stdout;
  /** Whether a refresh token still refreshes (signed out: 401). */
  const refreshStatus = async (token: string) =>
    (
      await fetch(`${service.url}/auth/api/v1/refresh-token/customer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: token }),
      })
    ).status;

  // Every command in the README that talks to the server is one of these kinds; a new kind of
  // example fails the first test until this file learns to check it.
  const refreshCurl = examples.filter((c) => c.startsWith("curl -sS -X POST"));
  const revokeCurl = examples.filter((c) => c.includes("/revoke-token/customer"));
  const refreshBuf = examples.filter(
    (c) => c.startsWith("npx buf curl") && c.includes("RefreshCustomerToken"),
  );
  const listMethods = examples.filter((c) => c.includes("--list-methods"));
  const health = examples.filter((c) => c.includes("Health/Check") || c.includes("/readyz"));
  const metrics = examples.filter((c) => c.includes("/metrics"));

  it("has only examples this test knows how to check", () => {
    expect(refreshCurl).toHaveLength(2);
    expect(revokeCurl).toHaveLength(1);
    expect(refreshBuf).toHaveLength(2);
    expect(listMethods).toHaveLength(1);
    expect(health).toHaveLength(3);
    expect(metrics).toHaveLength(1);
    const known = new Set([
      ...refreshCurl,
      ...revokeCurl,
      ...refreshBuf,
      ...listMethods,
      ...health,
      ...metrics,
    ]);
    expect(examples.filter((c) => !known.has(c))).toEqual([]);
  });

  it.each(refreshCurl)("answers the documented success body to: %s", async (command) => {
    const stdout = await runExample(command);
    validateRestResponse({
      method: "POST",
      path: "/auth/api/v1/refresh-token/customer",
      status: 200,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
      body: stdout,
    });
  });

  it("signs out with the curl example: the answer the README shows, and the token is revoked", async () => {
    const { stdout, token } = await runWithToken(revokeCurl[0] ?? "");
    const [head = "", body = ""] = stdout.split("\r\n\r\n");
    const lines = head.split("\r\n").map((line) => line.toLowerCase());
    const shown = blocks("text").find((block) => block.includes("Max-Age=0")) ?? "";
    const shownLines = shown.trim().split("\n");
    expect(shownLines.at(-1)).toBe(body);
    for (const line of shownLines.slice(0, -1).filter((l) => l !== "…")) {
      expect(lines).toContain(line.toLowerCase());
    }
    expect(await refreshStatus(token)).toBe(401);
  });

  it.each(refreshBuf)("answers a token pair to: %s", async (command) => {
    const reply = JSON.parse(await runExample(command)) as Record<string, unknown>;
    expect(reply.tokenType).toBe("Bearer");
    expect(reply.expiresIn).toBeGreaterThan(3500);
    expect(String(reply.accessToken).split(".")).toHaveLength(3);
  });

  it("lists the service's methods by reflection", async () => {
    const methods = (await runExample(listMethods[0] ?? "")).trim().split("\n");
    expect(methods).toContain("worth.auth.v1.AuthService/RefreshCustomerToken");
    expect(methods).toContain("grpc.health.v1.Health/Check");
  });

  it("shows request counters to the metrics example", async () => {
    await runExample(refreshCurl[0] ?? "");
    const lines = (await runExample(metrics[0] ?? "")).trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^auth_requests_total\{.*\} \d+$/);
    expect(lines.some((line) => line.includes('outcome="success"'))).toBe(true);
  });

  it.each(health)("reports ready or SERVING to: %s", async (command) => {
    const reply = JSON.parse(await runExample(command)) as { status: string };
    expect(["ready", "SERVING"]).toContain(reply.status);
  });

  it("runs the connect-node client example", async () => {
    const source = blocks("ts").find((block) => block.includes("connect-node"));
    expect(source).toContain("createGrpcTransport");
    mkdirSync(new URL(".local/", root), { recursive: true });
    const file = new URL(".local/readme-client.ts", root);
    writeFileSync(
      file,
      (source ?? "").replace("./gen/", "../gen/").replace("http://127.0.0.1:8080", service.url),
    );
    try {
      const { stdout } = await run(process.execPath, [fileURLToPath(file)], {
        env: { ...process.env, REFRESH_TOKEN: await cognito.freshRefreshToken() },
      });
      expect(stdout.trim()).toMatch(/^Bearer 3(599|600)$/);
      expect(readme).toContain("prints `Bearer 3600`");
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("runs the connect-web cookie-mode snippet (under Node's fetch)", async () => {
    const source = blocks("ts").find((block) => block.includes("connect-web"));
    expect(source).toContain('credentials: "include"');
    mkdirSync(new URL(".local/", root), { recursive: true });
    const file = new URL(".local/readme-browser.ts", root);
    const token = await cognito.freshRefreshToken();
    expect(source).toContain('baseUrl: "http://127.0.0.1:8080/auth/api/v1"');
    // Node's fetch keeps no cookie jar: hand it the cookie a browser would send.
    const preamble = `const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) =>
  realFetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), cookie: "refresh_token=${token}" } });
`;
    writeFileSync(
      file,
      `${preamble}${(source ?? "").replace("./gen/", "../gen/").replace("http://127.0.0.1:8080", service.url)}
console.log(idToken.split(".").length, expiresIn);
`,
    );
    try {
      const { stdout } = await run(process.execPath, [fileURLToPath(file)]);
      expect(stdout.trim()).toMatch(/^3 3(599|600)$/);
      // The snippet's last call signed out: the cookie's token refreshes no more.
      expect(await refreshStatus(token)).toBe(401);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
