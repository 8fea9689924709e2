/**
 * `npm run --silent demo-token`: prints a fresh refresh token for the demo customer of the
 * running `npm start`, and nothing else, so it can be used as `$(npm run --silent demo-token)`.
 */
import { fileURLToPath } from "node:url";
import { freshRefreshToken, readDemoSeed } from "./demo-seed.ts";
import { isAlive, readRunning } from "./embedded.ts";
import { emulatorClient } from "./emulator.ts";

// The repo's data folder wherever this is run from, like `npm start` uses it.
const dataDir = fileURLToPath(new URL("../../.local/", import.meta.url));
const NOT_RUNNING = "demo-token: the service is not running with the embedded Cognito (npm start)";

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

const running = readRunning(dataDir);
const seed = readDemoSeed(dataDir);
// running.json outlives a service that was killed: check its process too.
if (!running || !seed || !isAlive(running.pid)) {
  fail(NOT_RUNNING);
}
if (seed.userPoolId !== running.userPoolId || seed.clientId !== running.clientId) {
  fail(`demo-token: ${dataDir} holds a demo seed for another pool; restart npm start`);
}

const client = emulatorClient(running.endpoint);
try {
  const token = await freshRefreshToken(client, seed.clientId, seed.customer);
  process.stdout.write(`${token}\n`);
} catch (error) {
  // The service may be stopping right now.
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED" || code === "ECONNRESET") {
    fail(NOT_RUNNING);
  }
  fail(`demo-token: could not sign the demo customer in (${(error as Error).name})`);
} finally {
  client.destroy();
}
