import type { CognitoConfig, RefreshApi } from "./config.ts";
import { ConfigError, type Env, get } from "./config-env.ts";

/** The COGNITO_* variables: absent altogether means the embedded default. */
const COGNITO_VARS = [
  "COGNITO_REGION",
  "COGNITO_USER_POOL_ID",
  "COGNITO_CLIENT_ID",
  "COGNITO_CLIENT_SECRET",
  "COGNITO_ENDPOINT",
  "COGNITO_REFRESH_API",
] as const;

const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+|[a-z]+)_[0-9A-Za-z]+$/;

export function cognitoConfig(env: Env): CognitoConfig | "embedded" {
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
  const refreshApi: RefreshApi | string = get(env, "COGNITO_REFRESH_API") ?? "get-tokens";
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
