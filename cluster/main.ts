/**
 * `npm run cluster`: the embedded local Cognito, Redis, three replicas and nginx in front, on
 * loopback, until Ctrl-C. Needs Debian's redis-server and nginx (apt-get install redis-server
 * nginx). Shares the embedded Cognito's data folder with `npm start`, so
 * `npm run --silent demo-token` works here too (and the two cannot run at once).
 */
import { fileURLToPath } from "node:url";
import { startEmbedded } from "../src/local/embedded.ts";
import { REFRESH_ROUTE } from "../src/rest/paths.ts";
import { startCluster } from "./cluster.ts";

const dataDir = fileURLToPath(new URL("../.local/", import.meta.url));

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    process.stderr.write(`invalid configuration: ${name}: expected a port, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

const httpPort = port("CLUSTER_HTTP_PORT", 8080);
const grpcPort = port("CLUSTER_GRPC_PORT", 8081);

async function main(): Promise<void> {
  const cognito = await startEmbedded({ dataDir });
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  try {
    cluster = await startCluster({ cognitoEnv: cognito.env, httpPort, grpcPort });
  } catch (error) {
    await cognito.stop();
    throw error;
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write("\nstopping nginx, the replicas, redis-server and the emulator\n");
    await cluster.stop();
    await cognito.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  const route = `${cluster.httpUrl}/auth/api/v1${REFRESH_ROUTE}`;
  const replicas = cluster.replicas.map((r) => `${r.name} :${r.port} (pid ${r.pid})`).join(", ");
  process.stdout.write(
    [
      "",
      `nginx: HTTP/1.1 on ${cluster.httpUrl}, gRPC (h2c) on ${cluster.grpcUrl}`,
      `replicas: ${replicas}; rate limits shared in ${cluster.redis.url}`,
      `metrics (scrape each replica; nginx does not serve them): ${cluster.replicas
        .map((r) => `http://127.0.0.1:${r.metricsPort}/metrics`)
        .join(", ")}`,
      `logs: ${cluster.dir}/replica-N.log`,
      "",
      "Try it (the X-Upstream header names the replica that answered):",
      `  curl -si -X POST ${route} -H 'content-type: application/json' \\`,
      `    -d "{\\"refresh_token\\":\\"$(npm run --silent demo-token)\\"}" | grep -i x-upstream`,
      `  npx buf curl --protocol grpc --http2-prior-knowledge --schema . \\`,
      `    -d "{\\"refresh_token\\":\\"$(npm run --silent demo-token)\\"}" \\`,
      `    ${cluster.grpcUrl}/worth.auth.v1.AuthService/RefreshCustomerToken`,
      "Press Ctrl-C to stop everything.",
      "",
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
