import { describe, expect, it } from "vitest";
import { ConfigError, hasCognitoSettings, loadConfig } from "../../src/config/config.ts";

// A fake secret: distinctive so a leak into an error message would be seen.
const SECRET = "fake-S3cret-Val.ue-9";
const POOL = "eu-west-2_AbC123";
const COGNITO = { COGNITO_USER_POOL_ID: POOL, COGNITO_CLIENT_ID: "4client2id" };

function configErrorOf(env: Record<string, string>): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

describe("loadConfig defaults", () => {
  it("needs a user pool: with no COGNITO_* at all it names COGNITO_USER_POOL_ID", () => {
    expect(configErrorOf({}).variable).toBe("COGNITO_USER_POOL_ID");
  });

  it("serves port 8080 under /auth/api/v1", () => {
    const config = loadConfig(COGNITO);
    expect(config.port).toBe(8080);
    expect(config.basePath).toBe("/auth/api/v1");
  });

  it("listens on all interfaces for a real pool unless HOST says otherwise", () => {
    expect(loadConfig(COGNITO).host).toBe("0.0.0.0");
    expect(loadConfig({ ...COGNITO, HOST: "10.0.0.5" }).host).toBe("10.0.0.5");
  });

  it("maps BASE_PATH / to the root", () => {
    expect(loadConfig({ ...COGNITO, BASE_PATH: "/" }).basePath).toBe("");
  });

  it.each([
    [{}, "/auth/api/v1"],
    [{ BASE_PATH: "/api" }, "/api"],
    [{ BASE_PATH: "/" }, "/"],
    [{ REFRESH_TOKEN_COOKIE_PATH: "/" }, "/"],
    [{ REFRESH_TOKEN_COOKIE_PATH: "/auth" }, "/auth"],
    [{ REFRESH_TOKEN_COOKIE_PATH: "/auth/" }, "/auth/"],
    [{ REFRESH_TOKEN_COOKIE: "__Host-refresh" }, "/"],
  ])("puts the refresh token cookie at one path for every face: %j -> %s", (env, path) => {
    expect(loadConfig({ ...COGNITO, ...env }).cookie.path).toBe(path);
  });
});

describe("a production environment", () => {
  it("becomes the typed object with the AWS issuer and JWKS URI", () => {
    const config = loadConfig({
      ...COGNITO,
      COGNITO_CLIENT_SECRET: SECRET,
      PORT: "9000",
      BASE_PATH: "/auth/api/v2",
      REFRESH_TOKEN_COOKIE: "__Host-rt",
      REFRESH_TOKEN_COOKIE_MAX_AGE: "86400",
      TLS_CERT: "/etc/tls/cert.pem",
      TLS_KEY: "/etc/tls/key.pem",
      LOG_LEVEL: "warn",
      BODY_LIMIT_BYTES: "4096",
      UPSTREAM_TIMEOUT_MS: "2500",
      CUSTOMER_GROUP: "customers",
      CUSTOMER_CLAIM: "custom:role=customer=yes",
      CORS_ORIGINS: "https://app.joinworth.com, http://localhost:3000",
      CORS_MAX_AGE: "600",
      UPSTREAM_ATTEMPT_TIMEOUT_MS: "1000",
      HEADERS_TIMEOUT_MS: "5000",
      REQUEST_TIMEOUT_MS: "20000",
      IDLE_TIMEOUT_MS: "30000",
      SHUTDOWN_TIMEOUT_MS: "5000",
      RATE_LIMIT_PER_MINUTE: "0",
      RATE_LIMIT_FAILURES_PER_TOKEN: "3",
      RATE_LIMIT_FAILURE_WINDOW_SECONDS: "600",
      TRUST_PROXY: "10.0.0.0/8, ::1",
      REDIS_URL: "redis://:pw@redis.internal:6379/2",
      REFRESH_REPLAY_SECONDS: "30",
      REFRESH_REPLAY_MAX_ENTRIES: "500",
    });
    expect(config).toEqual({
      host: "0.0.0.0",
      metrics: { host: "0.0.0.0", port: 9464 },
      port: 9000,
      basePath: "/auth/api/v2",
      cognito: {
        region: "eu-west-2",
        userPoolId: POOL,
        clientId: "4client2id",
        clientSecret: SECRET,
        endpoint: undefined,
        refreshApi: "get-tokens",
        issuer: `https://cognito-idp.eu-west-2.amazonaws.com/${POOL}`,
        jwksUri: `https://cognito-idp.eu-west-2.amazonaws.com/${POOL}/.well-known/jwks.json`,
      },
      cookie: { name: "__Host-rt", path: "/", maxAgeSeconds: 86400 },
      cors: {
        origins: ["https://app.joinworth.com", "http://localhost:3000"],
        maxAgeSeconds: 600,
      },
      tls: { certFile: "/etc/tls/cert.pem", keyFile: "/etc/tls/key.pem" },
      logLevel: "warn",
      limits: {
        bodyBytes: 4096,
        upstreamTimeoutMs: 2500,
        upstreamAttemptTimeoutMs: 1000,
        headersTimeoutMs: 5000,
        requestTimeoutMs: 20_000,
        idleTimeoutMs: 30_000,
        shutdownTimeoutMs: 5000,
        drainDelayMs: 0,
        drainIdleGraceMs: 1000,
        maxConnections: 1000,
      },
      rateLimit: {
        perAddressPerMinute: 0,
        failuresPerToken: 3,
        failureWindowSeconds: 600,
        trustedProxies: ["10.0.0.0/8", "::1"],
        ipv6PrefixBits: 64,
        redisUrl: "redis://:pw@redis.internal:6379/2",
      },
      policy: {
        requiredGroup: "customers",
        requiredClaim: { name: "custom:role", value: "customer=yes" },
      },
      replay: { windowSeconds: 30, maxEntries: 500 },
    });
  });

  it.each([
    ["us-east-1_AbC123", "us-east-1"],
    ["ap-southeast-2_XyZ9", "ap-southeast-2"],
    ["us-gov-west-1_Q1", "us-gov-west-1"],
  ])("derives the region from the pool id %s", (pool, region) => {
    const config = loadConfig({ ...COGNITO, COGNITO_USER_POOL_ID: pool });
    expect(config.cognito).toMatchObject({ region, issuer: expect.stringContaining(region) });
  });

  it("lets COGNITO_REGION override the derived region", () => {
    const config = loadConfig({ ...COGNITO, COGNITO_REGION: "eu-central-1" });
    expect(config.cognito).toMatchObject({ region: "eu-central-1" });
  });

  it("accepts initiate-auth without a client secret", () => {
    const config = loadConfig({ ...COGNITO, COGNITO_REFRESH_API: "initiate-auth" });
    expect(config.cognito).toMatchObject({ refreshApi: "initiate-auth", clientSecret: undefined });
  });
});

describe("COGNITO_ENDPOINT and the issuer", () => {
  it.each([
    ["http://localhost:9229", "http://localhost:9229"],
    ["http://localhost:9229/", "http://localhost:9229"],
    ["http://127.0.0.1:9229/cognito//", "http://127.0.0.1:9229/cognito"],
    [
      "https://vpce-0abc.cognito-idp.eu-west-2.vpce.amazonaws.com",
      "https://vpce-0abc.cognito-idp.eu-west-2.vpce.amazonaws.com",
    ],
  ])("keeps Cognito's canonical issuer and JWKS URI for the endpoint %s", (endpoint, base) => {
    const config = loadConfig({ ...COGNITO, COGNITO_ENDPOINT: endpoint });
    expect(config.cognito).toMatchObject({
      endpoint: base,
      issuer: `https://cognito-idp.eu-west-2.amazonaws.com/${POOL}`,
      jwksUri: `https://cognito-idp.eu-west-2.amazonaws.com/${POOL}/.well-known/jwks.json`,
    });
  });

  it("takes COGNITO_ISSUER, and the JWKS URI under it, as an emulator signs", () => {
    const config = loadConfig({
      ...COGNITO,
      COGNITO_ENDPOINT: "http://127.0.0.1:9229",
      COGNITO_ISSUER: "http://127.0.0.1:9229/local_a1B2/",
    });
    expect(config.cognito).toMatchObject({
      issuer: "http://127.0.0.1:9229/local_a1B2",
      jwksUri: "http://127.0.0.1:9229/local_a1B2/.well-known/jwks.json",
    });
  });

  it("takes COGNITO_JWKS_URI alone, keeping the canonical issuer", () => {
    const jwksUri = "https://keys.internal.example/pool/jwks.json";
    const config = loadConfig({ ...COGNITO, COGNITO_JWKS_URI: jwksUri });
    expect(config.cognito).toMatchObject({
      issuer: `https://cognito-idp.eu-west-2.amazonaws.com/${POOL}`,
      jwksUri,
    });
  });
});

describe("asking for the development default", () => {
  it("is having no COGNITO_* variable at all", () => {
    expect(hasCognitoSettings({})).toBe(false);
    expect(hasCognitoSettings({ HOST: "127.0.0.1" })).toBe(false);
    expect(hasCognitoSettings(COGNITO)).toBe(true);
  });

  it.each([
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
    "COGNITO_CLIENT_SECRET",
    "COGNITO_ENDPOINT",
    "COGNITO_ISSUER",
  ])("is never %s set but blank", (variable) => {
    expect(() => hasCognitoSettings({ [variable]: " " })).toThrow(ConfigError);
    expect(configErrorOf({ [variable]: " " }).variable).toBe(variable);
    expect(configErrorOf({ ...COGNITO, [variable]: "" }).variable).toBe(variable);
  });
});

// Every row carries the secret, so the leak check below is meaningful for each.
const PROD = { ...COGNITO, COGNITO_CLIENT_SECRET: SECRET };
const BAD: [string, Record<string, string>][] = [
  ["PORT", { ...PROD, PORT: "abc" }],
  ["PORT", { ...PROD, PORT: "70000" }],
  ["PORT", { ...PROD, PORT: "-1" }],
  ["BASE_PATH", { ...PROD, BASE_PATH: "api/" }],
  ["BASE_PATH", { ...PROD, BASE_PATH: "/x/" }],
  ["COGNITO_CLIENT_ID", { COGNITO_USER_POOL_ID: POOL, COGNITO_CLIENT_SECRET: SECRET }],
  ["COGNITO_USER_POOL_ID", { COGNITO_CLIENT_ID: "4client2id", COGNITO_CLIENT_SECRET: SECRET }],
  ["COGNITO_USER_POOL_ID", { ...PROD, COGNITO_USER_POOL_ID: "not a pool" }],
  ["COGNITO_REFRESH_API", { ...PROD, COGNITO_REFRESH_API: "foo" }],
  ["COGNITO_CLIENT_SECRET", { ...PROD, COGNITO_REFRESH_API: "initiate-auth" }],
  ["COGNITO_ENDPOINT", { ...PROD, COGNITO_ENDPOINT: "ftp://localhost:9229" }],
  ["COGNITO_ENDPOINT", { ...PROD, COGNITO_ENDPOINT: "localhost" }],
  ["COGNITO_ENDPOINT", { ...PROD, COGNITO_ENDPOINT: "http://cognito-proxy.internal:8080" }],
  ["COGNITO_ENDPOINT", { ...PROD, COGNITO_ENDPOINT: "http://10.0.0.7" }],
  ["COGNITO_ISSUER", { ...PROD, COGNITO_ISSUER: "http://issuer.example/pool" }],
  ["COGNITO_ISSUER", { ...PROD, COGNITO_ISSUER: "not a url" }],
  ["COGNITO_JWKS_URI", { ...PROD, COGNITO_JWKS_URI: "http://keys.example/jwks.json" }],
  ["TLS_KEY", { ...PROD, TLS_CERT: "/etc/tls/cert.pem" }],
  ["TLS_CERT", { ...PROD, TLS_KEY: "/etc/tls/key.pem" }],
  ["LOG_LEVEL", { ...PROD, LOG_LEVEL: "loud" }],
  ["REFRESH_TOKEN_COOKIE", { ...PROD, REFRESH_TOKEN_COOKIE: "a b" }],
  ["REFRESH_TOKEN_COOKIE_PATH", { ...PROD, REFRESH_TOKEN_COOKIE_PATH: "auth" }],
  ["REFRESH_TOKEN_COOKIE_PATH", { ...PROD, REFRESH_TOKEN_COOKIE_PATH: "/other" }],
  ["REFRESH_TOKEN_COOKIE_PATH", { ...PROD, REFRESH_TOKEN_COOKIE_PATH: "/auth/ap" }],
  [
    "REFRESH_TOKEN_COOKIE_PATH",
    { ...PROD, REFRESH_TOKEN_COOKIE_PATH: "/auth/api/v1/refresh-token" },
  ],
  ["REFRESH_TOKEN_COOKIE_PATH", { ...PROD, REFRESH_TOKEN_COOKIE_PATH: "/a;Domain=evil" }],
  [
    "REFRESH_TOKEN_COOKIE_PATH",
    { ...PROD, REFRESH_TOKEN_COOKIE: "__Host-rt", REFRESH_TOKEN_COOKIE_PATH: "/auth" },
  ],
  ["CUSTOMER_CLAIM", { ...PROD, CUSTOMER_CLAIM: "x" }],
  ["CUSTOMER_CLAIM", { ...PROD, CUSTOMER_CLAIM: "=customer" }],
  ["CUSTOMER_CLAIM", { ...PROD, CUSTOMER_CLAIM: "custom:role=" }],
  ["CORS_ORIGINS", { ...PROD, CORS_ORIGINS: "not a url" }],
  ["CORS_ORIGINS", { ...PROD, CORS_ORIGINS: "https://app.example.com/path" }],
  ["CORS_ORIGINS", { ...PROD, CORS_ORIGINS: "*" }],
  ["CORS_MAX_AGE", { ...PROD, CORS_MAX_AGE: "forever" }],
  ["REQUEST_TIMEOUT_MS", { ...PROD, HEADERS_TIMEOUT_MS: "20000", REQUEST_TIMEOUT_MS: "10000" }],
  ["RATE_LIMIT_PER_MINUTE", { ...PROD, RATE_LIMIT_PER_MINUTE: "-5" }],
  ["TRUST_PROXY", { ...PROD, TRUST_PROXY: "proxy.internal" }],
  ["TRUST_PROXY", { ...PROD, TRUST_PROXY: "10.0.0.0/33" }],
  ["METRICS_PORT", { ...PROD, METRICS_PORT: "8080" }],
  ["METRICS_PORT", { ...PROD, PORT: "9000", METRICS_PORT: "9000" }],
  ["METRICS_HOST", { ...PROD, METRICS_HOST: "metrics.internal" }],
  ["REDIS_URL", { ...PROD, REDIS_URL: "localhost:6379" }],
  ["REDIS_URL", { ...PROD, REDIS_URL: "redis://redis:6379/limits" }],
  ["REDIS_URL", { ...PROD, REDIS_URL: "http://:hunter2secret@redis:6379" }],
];

// Test titles show the offending value, except the secret's.
const TITLED = BAD.map(([variable, env]) => {
  const shown = variable === "COGNITO_CLIENT_SECRET" ? "(set, with initiate-auth)" : env[variable];
  return [variable, shown ?? "(unset)", env] as const;
});

describe("a bad value", () => {
  it.each(TITLED)("throws a ConfigError naming %s for %j", (variable, _, env) => {
    const error = configErrorOf(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it.each(TITLED)("never puts the client secret in the message (%s %j)", (_, __, env) => {
    expect(env.COGNITO_CLIENT_SECRET).toBe(SECRET);
    const error = configErrorOf(env);
    expect(error.message).not.toContain(SECRET);
  });

  it("never repeats a Redis password in the message", () => {
    const error = configErrorOf({ ...PROD, REDIS_URL: "http://:hunter2secret@redis:6379" });
    expect(error.message).not.toContain("hunter2secret");
  });

  it("explains why a client secret cannot go with initiate-auth and what to use", () => {
    const error = configErrorOf({ ...PROD, COGNITO_REFRESH_API: "initiate-auth" });
    expect(error.variable).toBe("COGNITO_CLIENT_SECRET");
    expect(error.message).toContain("SECRET_HASH");
    expect(error.message).toContain("COGNITO_REFRESH_API=get-tokens");
    expect(error.message).not.toContain(SECRET);
  });
});
