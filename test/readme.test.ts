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

const examples = blocks("sh")
  .filter((block) => block.includes("http://127.0.0.1:8080"))
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

  async function runExample(command: string): Promise<string> {
    const token = await cognito.freshRefreshToken();
    const script = command
      .replaceAll("http://127.0.0.1:8080", service.url)
      .replaceAll("$(npm run --silent demo-token)", token);
    const { stdout } = await run("bash", ["-c", script], { cwd: fileURLToPath(root) });
    return stdout;
  }

  it("has the curl and buf curl examples this test expects", () => {
    expect(examples.filter((c) => c.startsWith("curl"))).toHaveLength(2);
    expect(examples.filter((c) => c.startsWith("npx buf curl"))).toHaveLength(2);
  });

  it.each(examples.filter((c) => c.startsWith("curl")))(
    "answers the documented success body to: %s",
    async (command) => {
      const stdout = await runExample(command);
      validateRestResponse({
        method: "POST",
        path: "/auth/api/v1/refresh-token/customer",
        status: 200,
        headers: { "content-type": "application/json", "cache-control": "no-store" },
        body: stdout,
      });
    },
  );

  it.each(examples.filter((c) => c.startsWith("npx buf curl")))(
    "answers a token pair to: %s",
    async (command) => {
      const reply = JSON.parse(await runExample(command)) as Record<string, unknown>;
      expect(reply.tokenType).toBe("Bearer");
      expect(reply.expiresIn).toBeGreaterThan(3500);
      expect(String(reply.accessToken).split(".")).toHaveLength(3);
    },
  );

  it("runs the connect-node client example", async () => {
    const [source] = blocks("ts");
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
});
