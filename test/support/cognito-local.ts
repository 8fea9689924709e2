/**
 * A real cognito-local for integration tests: its own temp folder and free port, seeded like
 * `npm start`. Each call starts a separate emulator, so test files can run in parallel.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import {
  type Customer,
  createCustomer,
  type DemoSeed,
  freshRefreshToken,
  seedDemo,
} from "../../src/local/demo-seed.ts";
import { cognitoEnv } from "../../src/local/embedded.ts";
import { emulatorClient, startEmulator } from "../../src/local/emulator.ts";

export interface TestCognito {
  /** The COGNITO_* variables, ready for loadConfig(). */
  env: Record<string, string>;
  endpoint: string;
  userPoolId: string;
  clientId: string;
  dataDir: string;
  /** The emulator's process id. */
  pid: number;
  demo: Customer;
  /** A new refresh token for the demo customer. */
  freshRefreshToken(): Promise<string>;
  /** Signed with dummy credentials, for admin calls (AdminDeleteUser, AdminDisableUser...). */
  adminClient: CognitoIdentityProviderClient;
  /** A new customer each call, for tests that delete or revoke. */
  createCustomer(): Promise<Customer & { refreshToken: string }>;
  /** Stops the emulator and deletes its folder. */
  stop(): Promise<void>;
}

export async function startTestCognito(options: { dataDir?: string } = {}): Promise<TestCognito> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "worth-cognito-"));
  const ownsDir = options.dataDir === undefined;
  const emulator = await startEmulator({ dataDir });
  const adminClient = emulatorClient(emulator.endpoint);
  let seed: DemoSeed;
  try {
    seed = await seedDemo(adminClient, dataDir);
  } catch (error) {
    adminClient.destroy();
    await emulator.stop();
    throw error;
  }
  const { userPoolId, clientId } = seed;
  return {
    env: cognitoEnv(emulator.endpoint, seed),
    endpoint: emulator.endpoint,
    userPoolId,
    clientId,
    dataDir,
    pid: emulator.pid,
    demo: seed.customer,
    adminClient,
    freshRefreshToken: () => freshRefreshToken(adminClient, clientId, seed.customer),
    async createCustomer() {
      const id = randomUUID();
      const customer = await createCustomer(adminClient, userPoolId, {
        email: `customer-${id}@example.com`,
        givenName: "Test",
        familyName: `Customer ${id.slice(0, 8)}`,
      });
      return {
        ...customer,
        refreshToken: await freshRefreshToken(adminClient, clientId, customer),
      };
    },
    async stop() {
      adminClient.destroy();
      await emulator.stop();
      if (ownsDir) {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

// A killed child whose parent is gone can linger as a zombie until init reaps it: not running.
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && existsSync("/proc/self")) {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until check() holds or the time is up; returns the last result. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (check()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}
