// Whose tokens the service accepts does not depend on how it reaches Cognito: real Cognito
// signs with https://cognito-idp.{region}.amazonaws.com/{pool} whatever host its API was called
// through (a VPC interface endpoint, a FIPS endpoint, an egress proxy).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Observed, startObserved } from "../observability/harness.ts";
import { grpcJsClient, JSON_TYPE, restFetch } from "../support/clients.ts";
import { type FakeCognito, startFakeCognito } from "../support/fake-cognito/index.ts";
import { type RunningService, startService } from "../support/server.ts";

const POOL = "us-east-1_Fake1234";
const CANONICAL = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
const refresh = (url: string, token: string) =>
  restFetch(url, { headers: JSON_TYPE, body: JSON.stringify({ refresh_token: token }) });

describe("a Cognito endpoint on another host than the issuer", () => {
  let fake: FakeCognito;
  let service: RunningService;

  beforeAll(async () => {
    // The fake signs as Cognito does; only its JWKS location is configured, not the issuer.
    fake = await startFakeCognito({ userPoolId: POOL, issuer: CANONICAL });
    service = await startService(fake.env);
  });
  afterAll(async () => {
    await service?.close();
    await fake?.close();
  });

  it("is configured with the endpoint and no issuer at all", () => {
    expect(fake.env.COGNITO_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fake.env.COGNITO_ISSUER).toBeUndefined();
  });

  it("refreshes over REST", async () => {
    const result = await refresh(service.url, fake.issueRefreshToken());
    expect(result.status).toBe(200);
  });

  it("refreshes over gRPC", async () => {
    const client = grpcJsClient(service.port);
    try {
      const answer = await client.refresh(fake.issueRefreshToken());
      expect(answer.tokenType).toBe("Bearer");
    } finally {
      client.close();
    }
  });
});

describe("the issuer in use", () => {
  let good: Observed;
  let wrong: Observed;

  beforeAll(async () => {
    good = await startObserved({ LOG_LEVEL: "info" });
    wrong = await startObserved({
      LOG_LEVEL: "info",
      // The fake's own JWKS (in its env) still signs; the tokens' iss is not this.
      COGNITO_ISSUER: `https://issuer.example/${POOL}`,
    });
  });
  afterAll(async () => {
    await Promise.all([good?.close(), wrong?.close()]);
  });

  it("is logged at start-up with the JWKS URI", () => {
    const [line] = good.lines().filter((l) => l.message === "cognito");
    expect(line).toMatchObject({
      level: "info",
      endpoint: good.fake.endpoint,
      issuer: good.fake.issuer,
      jwksUri: `${good.fake.issuer}/.well-known/jwks.json`,
    });
  });

  it("is named in the log when the tokens carry another, and no token is", async () => {
    const token = wrong.fake.issueRefreshToken();
    const result = await refresh(wrong.url, token);
    expect(result.status).toBe(500);
    const warnings = wrong.lines().filter((l) => l.message === "refresh failed");
    expect(warnings.map((l) => [l.kind, l.reason])).toEqual([
      ["internal", "token verification failed: issuer"],
    ]);
    expect(wrong.text().includes(token)).toBe(false);
    expect(wrong.text()).not.toMatch(/eyJ/);
  });
});
