import { type AddressInfo, connect, createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCognitoClient } from "../../src/cognito/cognito-client.ts";
import { createCognitoProvider } from "../../src/cognito/cognito-provider.ts";
import { type CognitoConfig, loadConfig } from "../../src/config/config.ts";
import { startTestCognito, type TestCognito } from "../support/cognito-local.ts";

/** A TCP relay to the emulator that counts the connections made through it. */
async function countingRelay(
  target: URL,
): Promise<{ server: Server; url: string; count(): number }> {
  let connections = 0;
  const server = createServer((inbound) => {
    connections += 1;
    const outbound = connect(Number(target.port), target.hostname);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, count: () => connections };
}

describe("upstream connections", () => {
  let cognito: TestCognito;

  beforeAll(async () => {
    cognito = await startTestCognito();
  });
  afterAll(async () => {
    await cognito?.stop();
  });

  it("reuses one kept-alive connection for consecutive refreshes", async () => {
    const relay = await countingRelay(new URL(cognito.endpoint));
    const config = loadConfig({ ...cognito.env, COGNITO_ENDPOINT: relay.url })
      .cognito as CognitoConfig;
    const client = createCognitoClient(config, { requestTimeoutMs: 5000 });
    const provider = createCognitoProvider({
      client,
      clientId: config.clientId,
      refreshApi: config.refreshApi,
      timeoutMs: 5000,
    });
    try {
      const token = await cognito.freshRefreshToken();
      for (let i = 0; i < 5; i += 1) {
        const tokens = await provider.refresh(token);
        expect(tokens.accessToken.split(".")).toHaveLength(3);
      }
      expect(relay.count()).toBe(1);
    } finally {
      client.destroy();
      relay.server.close();
    }
  });
});
