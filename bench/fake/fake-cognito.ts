/**
 * A light, fast fake of Cognito's refresh API for the benchmarks, run as its own child process
 * (pinned beside the load generator, away from the server under test). Unlike the programmable
 * test fake it signs nothing per request: a handful of real RS256 token pairs are signed once at
 * start-up and handed out in turn, so the fake costs a few microseconds per call and the
 * server's verifier still checks a real signature against the served JWKS every time.
 *
 * It holds each reply for a configurable fixed latency (0 ms to measure CPU cost, 20 ms to
 * measure added latency), counts calls and connections, and can record how long it held each
 * call, keyed by the refresh token's last segment, so the runner can subtract provider time
 * from each response time.
 *
 * Parent -> child (IPC): { id, cmd: "latency", ms } | { id, cmd: "stats", reset? } | { id, cmd: "record" }
 *   | { id, cmd: "recorded" } | { id, cmd: "pairs" }.  Child -> parent: { type: "ready", env },
 *   then { id, result } per command.
 */
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serveCommands } from "../children.ts";
import { tokenTag } from "../load/tokens.ts";

const FAKE_POOL_ID = "us-east-1_Bench0001";
const FAKE_CLIENT_ID = "benchclient0000000000000001";
const FAKE_CLIENT_SECRET = "benchsecret000000000000000000000000000000000000001";
const PAIRS = 16;
const EXPIRES_IN = 3600;
// Valid far beyond any run, so the verifier never sees an expired token.
const TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600;

export interface TokenPair {
  accessToken: string;
  idToken: string;
}

export interface FakeStats {
  calls: number;
  connections: number;
  jwksRequests: number;
  /** Distinct refresh tokens called with since the last "stats" that asked for a reset. */
  distinctTokens: number;
}

function b64(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

function signedPairs(issuer: string): { jwks: string; pairs: TokenPair[] } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const { kty, e, n } = publicKey.export({ format: "jwk" });
  const kid = b64(randomUUID());
  const jwks = JSON.stringify({ keys: [{ kid, alg: "RS256", kty, e, n, use: "sig" }] });
  const jwt = (claims: Record<string, unknown>) => {
    const head = `${b64(JSON.stringify({ kid, alg: "RS256" }))}.${b64(JSON.stringify(claims))}`;
    return `${head}.${b64(sign("sha256", Buffer.from(head), privateKey))}`;
  };
  const iat = Math.floor(Date.now() / 1000);
  const pairs: TokenPair[] = [];
  for (let i = 0; i < PAIRS; i++) {
    // Cognito's claims and sizes: the pair comes to about 2.2 KB, like the real one.
    const sub = randomUUID();
    const common = {
      sub,
      "cognito:groups": ["customers"],
      iss: issuer,
      origin_jti: randomUUID(),
      event_id: randomUUID(),
      auth_time: iat,
      iat,
      exp: iat + TOKEN_LIFETIME_SECONDS,
      jti: randomUUID(),
    };
    pairs.push({
      accessToken: jwt({
        ...common,
        client_id: FAKE_CLIENT_ID,
        token_use: "access",
        scope: "aws.cognito.signin.user.admin",
        username: sub,
      }),
      idToken: jwt({
        ...common,
        aud: FAKE_CLIENT_ID,
        token_use: "id",
        email: `customer-${i}@example.com`,
        email_verified: true,
        given_name: "Bench",
        family_name: `Customer${i}`,
        "custom:id": String(100000 + i),
        "cognito:username": sub,
      }),
    });
  }
  return { jwks, pairs };
}

async function main(): Promise<void> {
  let latencyMs = Number(process.env.BENCH_FAKE_LATENCY_MS ?? 0);
  let recording: Map<string, number> | undefined;
  const stats = { calls: 0, connections: 0, jwksRequests: 0 };
  // Tags of the tokens seen since the last "stats": calls per refresh = calls / distinct tokens.
  let seen = new Set<string>();
  let jwksPath = "";
  let jwks = "";
  let replies: Buffer[] = [];
  let pairs: TokenPair[] = [];

  const server = createServer((req, res) => {
    const started = performance.now();
    if (req.method === "GET" && req.url === jwksPath) {
      stats.jwksRequests++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(jwks);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let token = "";
      try {
        const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          RefreshToken?: string;
          AuthParameters?: { REFRESH_TOKEN?: string };
        };
        token = input.RefreshToken ?? input.AuthParameters?.REFRESH_TOKEN ?? "";
      } catch {
        token = "";
      }
      const target = String(req.headers["x-amz-target"] ?? "");
      if (!token || !/\.(GetTokensFromRefreshToken|InitiateAuth)$/.test(target)) {
        const body = JSON.stringify({ __type: "InvalidParameterException", message: "bench" });
        res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
        res.end(body);
        return;
      }
      const reply = replies[stats.calls++ % replies.length] as Buffer;
      seen.add(tokenTag(token));
      const send = () => {
        res.writeHead(200, {
          "content-type": "application/x-amz-json-1.1",
          "content-length": reply.length,
          "x-amzn-requestid": randomUUID(),
          date: new Date().toUTCString(),
        });
        res.end(reply);
        recording?.set(tokenTag(token), performance.now() - started);
      };
      if (latencyMs > 0) {
        setTimeout(send, latencyMs);
      } else {
        send();
      }
    });
  });
  // Longer than any run: the SDK's keep-alive sockets are never closed under it.
  server.keepAliveTimeout = 600_000;
  server.on("connection", () => {
    stats.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  jwksPath = `/${FAKE_POOL_ID}/.well-known/jwks.json`;
  ({ jwks, pairs } = signedPairs(`${endpoint}/${FAKE_POOL_ID}`));
  replies = pairs.map((pair) =>
    Buffer.from(
      JSON.stringify({
        AuthenticationResult: {
          AccessToken: pair.accessToken,
          ExpiresIn: EXPIRES_IN,
          IdToken: pair.idToken,
          TokenType: "Bearer",
        },
      }),
    ),
  );
  const env = {
    COGNITO_ENDPOINT: endpoint,
    COGNITO_ISSUER: `${endpoint}/${FAKE_POOL_ID}`,
    COGNITO_REGION: "us-east-1",
    COGNITO_USER_POOL_ID: FAKE_POOL_ID,
    COGNITO_CLIENT_ID: FAKE_CLIENT_ID,
    COGNITO_CLIENT_SECRET: FAKE_CLIENT_SECRET,
    COGNITO_REFRESH_API: "get-tokens",
  };
  serveCommands({ env }, (message) => {
    switch (message.cmd) {
      case "latency":
        latencyMs = Number(message.ms);
        return latencyMs;
      case "stats": {
        const result: FakeStats = { ...stats, distinctTokens: seen.size };
        if (message.reset === true) seen = new Set();
        return result;
      }
      case "record":
        recording = new Map();
        return true;
      case "recorded": {
        const entries = [...(recording ?? [])];
        recording = undefined;
        return entries;
      }
      case "pairs":
        return pairs;
      default:
        throw new Error(`unknown command ${String(message.cmd)}`);
    }
  });
}

await main();
