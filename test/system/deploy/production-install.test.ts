/**
 * The image, replayed without Docker: a temp folder gets what the Dockerfile COPYs (minus
 * .dockerignore), its dependency stage's `npm ci` runs there as written, and the final CMD
 * starts the service from it against the Cognito fake, on the Node the image uses. A
 * production dependency missing from package.json, a runtime file left out of a COPY, or a
 * production start that imports a devDependency fails here. Tokens are asserted on, not printed.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isJwt, JSON_TYPE, REST_PATH, rpcClient } from "../../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../../support/fake-cognito/index.ts";
import { type MainProcess, spawnMain } from "../../support/spawn-main.ts";
import {
  copies,
  dockerignore,
  execForm,
  flagsAndWords,
  instructions,
  isIgnored,
  parseDockerfile,
  ROOT,
  readRepoFile,
  type Stage,
} from "./dockerfile.ts";

const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 180_000;
const stages = parseDockerfile(readRepoFile("Dockerfile"));
const final = stages.at(-1) as Stage;
const ignored = dockerignore(readRepoFile(".dockerignore"));

/** The stage's WORKDIR must be /app: COPY destinations are mapped below it. */
function appPath(stage: Stage, root: string, destination: string, source: string): string {
  expect(instructions(stage, "WORKDIR").at(-1)?.args).toBe("/app");
  const into = destination.endsWith("/") || destination === ".";
  return join(root, into ? join(destination, source.split("/").at(-1) ?? "") : destination);
}

/** Replays a stage into `root`: its context COPYs (minus .dockerignore), then its RUN steps. */
async function replay(stage: Stage, root: string, scratch: string): Promise<void> {
  for (const copy of copies(stage)) {
    for (const source of copy.sources) {
      const target = appPath(stage, root, copy.destination, source);
      mkdirSync(dirname(target), { recursive: true });
      if (copy.from === undefined) {
        cpSync(join(ROOT, source), target, {
          recursive: true,
          filter: (path) => !isIgnored(relative(ROOT, path), ignored),
        });
        continue;
      }
      const from = stages.find((candidate) => candidate.name === copy.from);
      if (!from) throw new Error(`COPY --from=${copy.from}: no such stage`);
      const fromRoot = mkdtempSync(join(scratch, `${copy.from}-`));
      await replay(from, fromRoot, scratch);
      // Paths in another stage are absolute (/app/...) or relative to its WORKDIR (/app).
      cpSync(join(fromRoot, source.replace(/^\/app\//, "")), target, { recursive: true });
    }
  }
  for (const { args } of instructions(stage, "RUN")) {
    const [program, ...rest] = flagsAndWords(args).words;
    // Only npm and a node script run in the image's build: anything else would need
    // replaying here too.
    if (rest.some((word) => /[;&|<>$`]/.test(word))) throw new Error(`cannot replay RUN ${args}`);
    if (program === "node") {
      // The image's node, this Node: the same major (tested below).
      await run(process.execPath, rest, { cwd: root, timeout: INSTALL_TIMEOUT_MS });
    } else if (program === "npm") {
      // --prefer-offline: the same packages, from the warm npm cache when it has them.
      await run("npm", [...rest, "--prefer-offline"], { cwd: root, timeout: INSTALL_TIMEOUT_MS });
    } else {
      throw new Error(`cannot replay RUN ${args}`);
    }
  }
}

function files(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((path) => !path.startsWith("node_modules"))
    .sort();
}

/** Every process started, so afterAll can stop any a failed or timed-out test left behind. */
const children = new Set<MainProcess>();

const outputOf = (started: MainProcess) => started.stdout() + started.stderr();

/** The final stage's CMD, `node` being this Node, in the image's folder, with only `env`. */
function startImage(app: string, env: Record<string, string>): MainProcess {
  const [program, ...args] = execForm(instructions(final, "CMD")[0]?.args ?? "") ?? [];
  expect(program).toBe("node");
  const started = spawnMain({ PATH: "/usr/bin:/bin", ...env }, { args, cwd: app });
  children.add(started);
  return started;
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 20_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs the image's HEALTHCHECK command against PORT; resolves with its exit code. */
async function healthcheck(port: number): Promise<number> {
  const healthchecks = instructions(final, "HEALTHCHECK");
  const [program, ...args] = execForm(healthchecks[0]?.args ?? "") ?? [];
  expect(program).toBe("node");
  try {
    await run(process.execPath, args, { env: { PORT: String(port) }, timeout: 10_000 });
    return 0;
  } catch (error) {
    return Number((error as { code?: unknown }).code ?? -1);
  }
}

describe("the image's production install, replayed without Docker", () => {
  let scratch: string;
  let app: string;
  let fake: FakeCognito;
  let service: MainProcess | undefined;
  let baseUrl: string;
  let port: number;
  let filesBefore: string[];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "worth-image-"));
    app = join(scratch, "app");
    mkdirSync(app);
    await replay(final, app, scratch);
    filesBefore = files(app);
    fake = await startFakeCognito();
  }, INSTALL_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    for (const { child } of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    await fake?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("runs on the Node major the image's base has", () => {
    const tag = /^node:(\d+)/.exec(final.image)?.[1];
    expect(process.versions.node.split(".")[0]).toBe(tag);
  });

  it("can only resolve packages installed in the image's folder", () => {
    // No node_modules above the temp folder: the repo's devDependencies cannot leak in.
    for (let dir = dirname(app); dir !== dirname(dir); dir = dirname(dir)) {
      expect(existsSync(join(dir, "node_modules")), dir).toBe(false);
    }
    expect(existsSync(join("/", "node_modules"))).toBe(false);
  });

  it("holds the production dependencies and none of the development ones", () => {
    const installed = (name: string) => existsSync(join(app, "node_modules", name, "package.json"));
    for (const name of ["@connectrpc/connect-node", "@aws-sdk/client-cognito-identity-provider"]) {
      expect(installed(name), name).toBe(true);
    }
    for (const name of ["cognito-local", "pino-pretty", "vitest", "node", "typescript"]) {
      expect(installed(name), name).toBe(false);
    }
    // Only the bundle: no source, so no emulator either.
    expect(existsSync(join(app, "dist", "main.mjs"))).toBe(true);
    expect(existsSync(join(app, "src"))).toBe(false);
  });

  it("starts with production config and becomes ready once the JWKS is loaded", async () => {
    service = startImage(app, {
      ...fake.env,
      HOST: "127.0.0.1",
      PORT: "0",
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
    });
    const started = service;
    const url = await until("the listening line", () => {
      if (started.child.exitCode !== null) throw new Error(`exited: ${outputOf(started)}`);
      return /"url":"([^"]+)"/.exec(outputOf(started))?.[1];
    });
    baseUrl = url;
    port = Number(new URL(url).port);
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    let ready = 0;
    for (const deadline = Date.now() + 10_000; ready !== 200 && Date.now() < deadline; ) {
      ready = (await fetch(`${baseUrl}/readyz`)).status;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ready).toBe(200);
  }, 40_000);

  it("refreshes a customer token over REST", async () => {
    const res = await fetch(`${baseUrl}${REST_PATH}`, {
      method: "POST",
      headers: JSON_TYPE,
      body: JSON.stringify({ refresh_token: fake.issueRefreshToken() }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data?: { access_token?: unknown; id_token?: unknown } };
    expect(isJwt(body.data?.access_token)).toBe(true);
    expect(isJwt(body.data?.id_token)).toBe(true);
  });

  it("refreshes a customer token over gRPC (h2c, the same port)", async () => {
    const client = rpcClient(createGrpcTransport({ baseUrl }));
    const res = await client.refreshCustomerToken({ refreshToken: fake.issueRefreshToken() });
    expect(isJwt(res.accessToken)).toBe(true);
  });

  it("passes the image's HEALTHCHECK command", async () => {
    expect(await healthcheck(port)).toBe(0);
  });

  it("drains on SIGTERM, exits 0, and wrote no file into its folder", async () => {
    service?.child.kill("SIGTERM");
    expect(await service?.exited).toBe(0);
    expect(files(app)).toEqual(filesBefore);
    // Once it is gone the health check fails, as Docker must see it.
    expect(await healthcheck(port)).toBe(1);
  });

  it("without COGNITO_* refuses to start: the embedded emulator is not in the image", async () => {
    const unconfigured = startImage(app, { HOST: "127.0.0.1", PORT: "0", METRICS_PORT: "0" });
    expect(await unconfigured.exited).toBe(1);
    expect(outputOf(unconfigured)).toContain(
      "no COGNITO_* configured and the embedded emulator (development only) is not installed",
    );
    expect(outputOf(unconfigured)).toContain("set COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID");
    expect(outputOf(unconfigured)).not.toContain('"message":"listening"');
  });
});
