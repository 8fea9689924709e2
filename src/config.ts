/**
 * Environment -> one typed, validated object, read once at start-up.
 * A bad value throws ConfigError naming the variable and what it expects;
 * main.ts prints that one line and exits 2.
 */

export type RefreshApi = "get-tokens" | "initiate-auth";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface CognitoConfig {
  region: string;
  userPoolId: string;
  clientId: string;
  clientSecret: string | undefined;
  /** Set for emulators and fakes; the real AWS endpoint otherwise. */
  endpoint: string | undefined;
  refreshApi: RefreshApi;
  issuer: string;
  jwksUri: string;
}

export interface Config {
  host: string;
  port: number;
  basePath: string;
  /** "embedded" when no Cognito setting is present: start the local emulator. */
  cognito: CognitoConfig | "embedded";
  cookie: { name: string; maxAgeSeconds: number };
  cors: { origins: string[]; maxAgeSeconds: number };
  tls: { certFile: string; keyFile: string } | undefined;
  logLevel: LogLevel;
  limits: { bodyBytes: number; upstreamTimeoutMs: number };
  policy: {
    requiredGroup: string | undefined;
    requiredClaim: { name: string; value: string } | undefined;
  };
  /** Where the embedded default keeps its data; <repo>/.local when unset. */
  localDataDir: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly variable: string;
  constructor(variable: string, expected: string) {
    super(`${variable}: ${expected}`);
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const COGNITO_VARS = [
  "COGNITO_REGION",
  "COGNITO_USER_POOL_ID",
  "COGNITO_CLIENT_ID",
  "COGNITO_CLIENT_SECRET",
  "COGNITO_ENDPOINT",
  "COGNITO_REFRESH_API",
] as const;

const LOG_LEVELS: readonly LogLevel[] = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
];

// RFC 6265 cookie-name token characters.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+|[a-z]+)_[0-9A-Za-z]+$/;

function get(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = get(env, name);
  if (raw === undefined) {
    return fallback;
  }
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function basePath(env: Env): string {
  const raw = get(env, "BASE_PATH") ?? "/auth/api/v1";
  if (raw === "/") {
    return "";
  }
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(raw)) {
    throw new ConfigError(
      "BASE_PATH",
      `expected a path like /auth/api/v1 (leading slash, no trailing slash), got "${raw}"`,
    );
  }
  return raw;
}

function cognito(env: Env): CognitoConfig | "embedded" {
  if (COGNITO_VARS.every((name) => get(env, name) === undefined)) {
    return "embedded";
  }
  const userPoolId = get(env, "COGNITO_USER_POOL_ID");
  if (!userPoolId || !POOL_ID.test(userPoolId)) {
    throw new ConfigError("COGNITO_USER_POOL_ID", "expected a user pool id like us-east-1_AbC123");
  }
  const clientId = get(env, "COGNITO_CLIENT_ID");
  if (!clientId || !/^[0-9A-Za-z]+$/.test(clientId)) {
    throw new ConfigError("COGNITO_CLIENT_ID", "expected the app client id (letters and digits)");
  }
  const region = get(env, "COGNITO_REGION") ?? userPoolId.split("_")[0];
  if (!region || !/^[a-z]+(-[a-z]+)*(-\d+)?$/.test(region)) {
    throw new ConfigError("COGNITO_REGION", "expected an AWS region like us-east-1");
  }
  const refreshApi = get(env, "COGNITO_REFRESH_API") ?? "get-tokens";
  if (refreshApi !== "get-tokens" && refreshApi !== "initiate-auth") {
    throw new ConfigError("COGNITO_REFRESH_API", `expected get-tokens or initiate-auth`);
  }
  const clientSecret = get(env, "COGNITO_CLIENT_SECRET");
  if (clientSecret && refreshApi === "initiate-auth") {
    throw new ConfigError(
      "COGNITO_CLIENT_SECRET",
      "cannot be used with COGNITO_REFRESH_API=initiate-auth: InitiateAuth needs a SECRET_HASH " +
        "computed from the user's name, which a refresh token does not reveal; " +
        "use COGNITO_REFRESH_API=get-tokens",
    );
  }
  const endpoint = endpointOf(env);
  const issuer = endpoint
    ? `${endpoint}/${userPoolId}`
    : `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
  return {
    region,
    userPoolId,
    clientId,
    clientSecret,
    endpoint,
    refreshApi,
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
  };
}

function endpointOf(env: Env): string | undefined {
  const raw = get(env, "COGNITO_ENDPOINT");
  if (raw === undefined) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("COGNITO_ENDPOINT", `expected an http(s) URL, got "${raw}"`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
    throw new ConfigError("COGNITO_ENDPOINT", `expected an http(s) URL, got "${raw}"`);
  }
  return url.href.replace(/\/+$/, "");
}

function cookie(env: Env): Config["cookie"] {
  const name = get(env, "REFRESH_TOKEN_COOKIE") ?? "refresh_token";
  if (!COOKIE_NAME.test(name)) {
    throw new ConfigError("REFRESH_TOKEN_COOKIE", "expected a cookie name (RFC 6265 token)");
  }
  // Cognito's default refresh token validity is 30 days.
  const maxAgeSeconds = integer(env, "REFRESH_TOKEN_COOKIE_MAX_AGE", 2_592_000, 1, 315_360_000);
  return { name, maxAgeSeconds };
}

function cors(env: Env): Config["cors"] {
  // Chrome caps a preflight's cache at two hours; longer gains nothing.
  const maxAgeSeconds = integer(env, "CORS_MAX_AGE", 7200, 0, 86_400);
  const raw = get(env, "CORS_ORIGINS");
  if (raw === undefined) {
    return { origins: [], maxAgeSeconds };
  }
  const origins = raw.split(",").map((entry) => {
    const origin = entry.trim();
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== origin || origin === "null") {
      throw new ConfigError(
        "CORS_ORIGINS",
        `expected comma-separated origins like https://app.example.com, got "${origin}"`,
      );
    }
    return origin;
  });
  return { origins, maxAgeSeconds };
}

function tls(env: Env): Config["tls"] {
  const certFile = get(env, "TLS_CERT");
  const keyFile = get(env, "TLS_KEY");
  if (!certFile && !keyFile) {
    return undefined;
  }
  if (!certFile || !keyFile) {
    throw new ConfigError(certFile ? "TLS_KEY" : "TLS_CERT", "TLS_CERT and TLS_KEY go together");
  }
  return { certFile, keyFile };
}

function logLevel(env: Env): LogLevel {
  const raw = get(env, "LOG_LEVEL") ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError("LOG_LEVEL", `expected one of ${LOG_LEVELS.join(", ")}`);
  }
  return raw as LogLevel;
}

function policy(env: Env): Config["policy"] {
  const requiredGroup = get(env, "CUSTOMER_GROUP");
  const rawClaim = get(env, "CUSTOMER_CLAIM");
  if (rawClaim === undefined) {
    return { requiredGroup, requiredClaim: undefined };
  }
  const eq = rawClaim.indexOf("=");
  if (eq < 1 || eq === rawClaim.length - 1) {
    throw new ConfigError("CUSTOMER_CLAIM", "expected name=value, like custom:role=customer");
  }
  return {
    requiredGroup,
    requiredClaim: { name: rawClaim.slice(0, eq), value: rawClaim.slice(eq + 1) },
  };
}

export function loadConfig(env: Env = process.env): Config {
  const cognitoConfig = cognito(env);
  return {
    // The embedded default is for laptops: keep it off the network unless asked.
    host: get(env, "HOST") ?? (cognitoConfig === "embedded" ? "127.0.0.1" : "0.0.0.0"),
    port: integer(env, "PORT", 8080, 0, 65535),
    basePath: basePath(env),
    cognito: cognitoConfig,
    cookie: cookie(env),
    cors: cors(env),
    tls: tls(env),
    logLevel: logLevel(env),
    limits: {
      bodyBytes: integer(env, "BODY_LIMIT_BYTES", 65_536, 1024, 10_485_760),
      upstreamTimeoutMs: integer(env, "UPSTREAM_TIMEOUT_MS", 5000, 100, 60_000),
    },
    policy: policy(env),
    localDataDir: get(env, "LOCAL_DATA_DIR"),
  };
}
