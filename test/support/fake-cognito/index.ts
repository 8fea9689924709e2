/**
 * A programmable fake of Cognito's HTTP API for tests: a real node:http server that the real
 * AWS SDK talks to through COGNITO_ENDPOINT. It serves a JWKS, signs real RS256 tokens, and
 * does what the script says per request, falling back to Cognito's normal behaviour.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { FakeCognito, FakeCognitoOptions } from "./api.ts";
import { parseInput, readBody, sendError, sendHtml, TARGET_PREFIX } from "./aws-json.ts";
import type { FakeClient, Operation } from "./operations.ts";
import { OPERATIONS } from "./operations.ts";
import { runJwksStep, runStep, type StepRuntime } from "./run-step.ts";
import { createSigningKey, type PublicJwk, type SigningKey } from "./signing.ts";
import { type JwksStep, Plan, type Step } from "./steps.ts";
import { DEFAULT_USERNAME, UserStore } from "./users.ts";

export type { FakeCognito, FakeCognitoOptions } from "./api.ts";
export type { Operation } from "./operations.ts";
export { FAKE_ERRORS, type JwksStep, type Step } from "./steps.ts";
export type { FakeUser, RefreshTokenState, UserState } from "./users.ts";

function randomAlnum(length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join("");
}

export async function startFakeCognito(options: FakeCognitoOptions = {}): Promise<FakeCognito> {
  const refreshApi = options.refreshApi ?? "get-tokens";
  const userPoolId = options.userPoolId ?? "us-east-1_Fake1234";
  const clientId = options.clientId ?? randomAlnum(26);
  const clientSecret =
    options.clientSecret !== undefined
      ? options.clientSecret
      : refreshApi === "get-tokens"
        ? randomAlnum(51)
        : null;
  const users = new UserStore();
  const keys: SigningKey[] = [createSigningKey()];
  const plan = new Plan<Step>();
  const jwksPlan = new Plan<JwksStep>();
  const sockets = new Set<Socket>();
  const runtime: StepRuntime = { inFlight: new Set(), timers: new Set() };
  const counts = new Map<Operation, number>();
  let connections = 0;
  let jwksRequests = 0;
  const jwksPath = `/${userPoolId}/.well-known/jwks.json`;
  const client: FakeClient = {
    clientId,
    clientSecret,
    issuer: "",
    expiresIn: options.expiresIn ?? 3600,
    rotate: options.rotate ?? false,
    reuseGraceMs: options.reuseGraceMs ?? 0,
  };
  const context = { client, users, key: () => keys[keys.length - 1] as SigningKey };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && path === jwksPath) {
      jwksRequests++;
      const jwks: { keys: PublicJwk[] } = { keys: keys.map((key) => key.jwk) };
      return runJwksStep(runtime, req, res, jwksPlan.next() ?? "normal", jwks);
    }
    if (req.method !== "POST" || path !== "/") {
      return sendHtml(res, 404);
    }
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
    const body = await readBody(req);
    if (!(OPERATIONS as readonly string[]).includes(operation)) {
      const message = `The fake does not implement ${operation || "this target"}`;
      return sendError(res, { name: "UnknownOperationException", message, status: 400 });
    }
    const knownOperation = operation as Operation;
    counts.set(knownOperation, (counts.get(knownOperation) ?? 0) + 1);
    const input = parseInput(body);
    if (!input) {
      const error = { name: "SerializationException", message: "Malformed JSON", status: 400 };
      return sendError(res, error);
    }
    return runStep(runtime, context, { req, res, operation: knownOperation, input }, plan.next());
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // A client that went away mid-body, or a bug here: answer like Cognito's own failure.
      sendError(res, { name: "InternalErrorException", message: "fake failed", status: 500 });
    });
  });
  // Longer than the SDK agent's idle reuse, so a reused socket is never closed under it.
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  client.issuer = options.issuer ?? `${endpoint}/${userPoolId}`;

  const dropInFlight = () => {
    for (const timer of runtime.timers) {
      clearTimeout(timer);
    }
    runtime.timers.clear();
    for (const res of runtime.inFlight) {
      res.socket?.destroy();
    }
    runtime.inFlight.clear();
  };
  let closing: Promise<void> | undefined;

  return {
    endpoint,
    env: {
      COGNITO_ENDPOINT: endpoint,
      ...(options.issuer === undefined ? { COGNITO_ISSUER: client.issuer } : {}),
      COGNITO_JWKS_URI: `${endpoint}${jwksPath}`,
      COGNITO_USER_POOL_ID: userPoolId,
      COGNITO_CLIENT_ID: clientId,
      ...(clientSecret === null ? {} : { COGNITO_CLIENT_SECRET: clientSecret }),
      COGNITO_REGION: userPoolId.split("_")[0] ?? "us-east-1",
      COGNITO_REFRESH_API: refreshApi,
    },
    userPoolId,
    clientId,
    clientSecret,
    issuer: client.issuer,
    script: (...steps) => plan.push(steps),
    scriptAlways: (step) => plan.setAlways(step),
    scriptJwks: (...steps) => jwksPlan.push(steps),
    scriptJwksAlways: (step) => jwksPlan.setAlways(step),
    pending: () => plan.pending(),
    calls: (operation) =>
      operation === undefined
        ? [...counts.values()].reduce((sum, n) => sum + n, 0)
        : (counts.get(operation) ?? 0),
    jwksRequests: () => jwksRequests,
    connections: () => connections,
    issueRefreshToken: (user) => users.issue(users.upsert(user).username),
    setUser: (user) => ({ ...users.upsert(user) }),
    user: (username) => {
      const found = users.get(username ?? DEFAULT_USERNAME);
      return found ? { ...found, groups: [...found.groups] } : undefined;
    },
    setRefreshTokenState: (token, state) => users.setTokenState(token, state),
    rotateSigningKey: () => {
      keys.push(createSigningKey());
    },
    reset: () => {
      plan.clear();
      jwksPlan.clear();
      counts.clear();
      connections = 0;
      jwksRequests = 0;
      dropInFlight();
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        plan.clear();
        dropInFlight();
        server.close(() => resolve());
        // Held and keep-alive sockets would keep close() waiting forever.
        for (const socket of sockets) {
          socket.destroy();
        }
      });
      return closing;
    },
  };
}
