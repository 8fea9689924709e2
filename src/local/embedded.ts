/**
 * The embedded default: cognito-local plus the demo seed, and the COGNITO_*
 * environment that points the service at them. While it runs, `running.json` in the data
 * folder tells `demo-token` where to get a token.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Customer, type DemoSeed, freshRefreshToken, seedDemo } from "./demo-seed.ts";
import { EMULATOR_REGION, emulatorClient, startEmulator } from "./emulator.ts";

export interface EmbeddedOptions {
  /** The git-ignored data folder, `<repo>/.local` for `npm start`. */
  dataDir: string;
  host?: string;
  port?: number;
}

export interface EmbeddedCognito {
  /** The COGNITO_* variables for loadConfig(). */
  env: Record<string, string>;
  endpoint: string;
  demo: Omit<Customer, "password">;
  /** Signs the demo customer in again: a new refresh token each call. */
  freshRefreshToken(): Promise<string>;
  /** Stops the emulator and removes running.json. */
  stop(): Promise<void>;
}

/** What `demo-token` needs to sign the demo customer in; the password stays in the seed file. */
export interface RunningInfo {
  pid: number;
  endpoint: string;
  region: string;
  userPoolId: string;
  clientId: string;
  username: string;
}

export function runningFile(dataDir: string): string {
  return join(dataDir, "running.json");
}

export function readRunning(dataDir: string): RunningInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(runningFile(dataDir), "utf8")) as RunningInfo;
    return typeof info.endpoint === "string" && Number.isInteger(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function cognitoEnv(endpoint: string, seed: DemoSeed): Record<string, string> {
  return {
    COGNITO_ENDPOINT: endpoint,
    // cognito-local signs its tokens with its own address as the issuer.
    COGNITO_ISSUER: `${endpoint}/${seed.userPoolId}`,
    COGNITO_REGION: EMULATOR_REGION,
    COGNITO_USER_POOL_ID: seed.userPoolId,
    COGNITO_CLIENT_ID: seed.clientId,
    // cognito-local has no GetTokensFromRefreshToken.
    COGNITO_REFRESH_API: "initiate-auth",
  };
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedCognito> {
  const { dataDir } = options;
  // Two emulators over one data folder would overwrite each other's files.
  const previous = readRunning(dataDir);
  if (previous && isAlive(previous.pid)) {
    throw new Error(
      `the embedded Cognito in ${dataDir} is already in use by process ${previous.pid}; ` +
        "stop that one first, or configure COGNITO_* to use another",
    );
  }
  const emulator = await startEmulator({ dataDir, host: options.host, port: options.port });
  const client = emulatorClient(emulator.endpoint);
  let seed: DemoSeed;
  try {
    seed = await seedDemo(client, dataDir);
  } catch (error) {
    client.destroy();
    await emulator.stop();
    throw error;
  }
  const info: RunningInfo = {
    pid: process.pid,
    endpoint: emulator.endpoint,
    region: EMULATOR_REGION,
    userPoolId: seed.userPoolId,
    clientId: seed.clientId,
    username: seed.customer.username,
  };
  const file = runningFile(dataDir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);

  const { password: _password, ...demo } = seed.customer;
  let stopping: Promise<void> | undefined;
  return {
    env: cognitoEnv(emulator.endpoint, seed),
    endpoint: emulator.endpoint,
    demo,
    freshRefreshToken: () => freshRefreshToken(client, seed.clientId, seed.customer),
    stop() {
      stopping ??= (async () => {
        if (readRunning(dataDir)?.pid === process.pid) {
          rmSync(file, { force: true });
        }
        client.destroy();
        await emulator.stop();
      })();
      return stopping;
    },
  };
}
