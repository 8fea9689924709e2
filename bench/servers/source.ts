/**
 * The service code a bench server runs: this checkout's src/ by default, or another
 * checkout's (BENCH_SRC_ROOT, set by `npm run bench -- --before <dir>`), so that "before" and
 * "after" run under the same bench glue, the same fake and the same load, and differ only in
 * src/. The other checkout needs the same factory signatures as this one.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

type ServerModule = typeof import("../../src/server.ts");
type ConfigModule = typeof import("../../src/config/config.ts");
type ClientModule = typeof import("../../src/cognito/cognito-client.ts");
type ProviderModule = typeof import("../../src/cognito/cognito-provider.ts");
type VerifierModule = typeof import("../../src/cognito/token-verifier.ts");

export interface Source {
  root: string;
  createService: ServerModule["createService"];
  loadConfig: ConfigModule["loadConfig"];
  createCognitoClient: ClientModule["createCognitoClient"];
  createCognitoProvider: ProviderModule["createCognitoProvider"];
  createTokenVerifier: VerifierModule["createTokenVerifier"];
}

const OWN_ROOT = new URL("../../", import.meta.url);

export async function loadSource(root: string | undefined): Promise<Source> {
  const base = root ? pathToFileURL(`${resolve(root)}/`) : OWN_ROOT;
  const load = <T>(path: string) => import(new URL(path, base).href) as Promise<T>;
  // A checkout from before src/config/ kept its config in one file at the top.
  const loadConfigModule = () =>
    load<ConfigModule>("src/config/config.ts").catch(() => load<ConfigModule>("src/config.ts"));
  // A checkout from before src/server.ts named the same factory createApp, in src/app.ts.
  const loadServerModule = () =>
    load<ServerModule>("src/server.ts").catch(async () => ({
      createService: (await load<{ createApp: ServerModule["createService"] }>("src/app.ts"))
        .createApp,
    }));
  const [server, config, client, provider, verifier] = await Promise.all([
    loadServerModule(),
    loadConfigModule(),
    load<ClientModule>("src/cognito/cognito-client.ts"),
    load<ProviderModule>("src/cognito/cognito-provider.ts"),
    load<VerifierModule>("src/cognito/token-verifier.ts"),
  ]);
  return {
    root: base.pathname,
    createService: server.createService,
    loadConfig: config.loadConfig,
    createCognitoClient: client.createCognitoClient,
    createCognitoProvider: provider.createCognitoProvider,
    createTokenVerifier: verifier.createTokenVerifier,
  };
}
