/**
 * The token verifier against a JWKS served on loopback: what it accepts, and the class of
 * reason it gives for what it refuses (logged, never the token). Tokens are signed here with
 * throwaway keys; nothing is a real credential.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenVerifier } from "../../src/cognito/token-verifier.ts";
import type { CognitoConfig } from "../../src/config/config.ts";
import { RefreshError } from "../../src/refresh/refresh-error.ts";
import { createSigningKey, type SigningKey, signJwt } from "../support/fake-cognito/signing.ts";

const POOL = "us-east-1_Verify1";
const CLIENT = "verifyclient1";
const key = createSigningKey();
const stranger = createSigningKey();
let server: Server;
let config: CognitoConfig;

beforeAll(async () => {
  const jwks = JSON.stringify({ keys: [key.jwk] });
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${POOL}`;
  config = {
    region: "us-east-1",
    userPoolId: POOL,
    clientId: CLIENT,
    clientSecret: undefined,
    endpoint: undefined,
    refreshApi: "get-tokens",
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
  };
});
afterAll(() => {
  server?.close();
});

type Claims = Record<string, unknown>;
const now = () => Math.floor(Date.now() / 1000);

function pair(access: Claims = {}, id: Claims = {}, signer: SigningKey = key) {
  const base = { sub: "user-1", iss: config.issuer, iat: now(), exp: now() + 3600 };
  return {
    accessToken: signJwt(signer, { ...base, token_use: "access", client_id: CLIENT, ...access }),
    idToken: signJwt(signer, { ...base, token_use: "id", aud: CLIENT, ...id }),
  };
}

async function refusal(tokens: { accessToken: string; idToken: string }) {
  const verifier = createTokenVerifier(config);
  const error = await verifier.verify(tokens).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RefreshError);
  const { kind, reason, message } = error as RefreshError;
  // Neither the reason nor the message carries any part of a token.
  const payloads = [tokens.accessToken, tokens.idToken]
    .map((token) => token.split(".")[1] ?? "")
    .filter(Boolean);
  for (const text of [reason ?? "", message]) {
    for (const payload of payloads) expect(text.includes(payload)).toBe(false);
  }
  return { kind, reason };
}

describe("verifying a token pair", () => {
  it("accepts a pair of one subject and client, and returns the id token's claims", async () => {
    const verified = await createTokenVerifier(config).verify(pair({}, { "custom:id": "c-1" }));
    expect(verified.claims["custom:id"]).toBe("c-1");
    expect(verified.accessTokenExp).toBeGreaterThan(now());
  });

  it.each<[string, () => ReturnType<typeof pair>, string]>([
    ["another issuer", () => pair({ iss: "https://elsewhere.example/pool" }), "issuer"],
    ["another client (access token)", () => pair({ client_id: "another" }), "audience/client"],
    ["another client (id token)", () => pair({}, { aud: "another" }), "audience/client"],
    ["an id token as the access token", () => pair({ token_use: "id" }), "token_use"],
    ["an expired access token", () => pair({ exp: now() - 60 }), "expired"],
    ["a signature by another key", () => pair({}, {}, stranger), "signature"],
    ["a garbled token", () => ({ ...pair(), accessToken: "not-a-jwt" }), "malformed"],
    ["the id token of another subject", () => pair({}, { sub: "user-2" }), "pair"],
  ])("refuses %s as internal, logged with its reason class", async (_label, make, failure) => {
    expect(await refusal(make())).toEqual({
      kind: "internal",
      reason: `token verification failed: ${failure}`,
    });
  });
});
