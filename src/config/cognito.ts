import { ConfigError, type Env, get } from "./env.ts";
import { isLoopbackHost } from "./loopback.ts";
import type { CognitoConfig, RefreshApi } from "./types.ts";

/** The COGNITO_* variables: absent altogether means the development default (src/local/). */
const COGNITO_VARS = [
  "COGNITO_REGION",
  "COGNITO_USER_POOL_ID",
  "COGNITO_CLIENT_ID",
  "COGNITO_CLIENT_SECRET",
  "COGNITO_ENDPOINT",
  "COGNITO_REFRESH_API",
  "COGNITO_ISSUER",
  "COGNITO_JWKS_URI",
] as const;

const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+|[a-z]+)_[0-9A-Za-z]+$/;

/**
 * Whether any COGNITO_* variable is set. None at all asks for the development default; set
 * but blank is a mistake (an empty secret, a template left unfilled), never a request for the
 * demo: a production deployment must not quietly start one.
 */
export function hasCognitoSettings(env: Env): boolean {
  for (const name of COGNITO_VARS) {
    if (env[name] !== undefined && get(env, name) === undefined) {
      throw new ConfigError(name, "is set but blank: give it a value, or unset it");
    }
  }
  return COGNITO_VARS.some((name) => get(env, name) !== undefined);
}

export function cognitoConfig(env: Env): CognitoConfig {
  hasCognitoSettings(env);
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
  const endpoint = urlOf(env, "COGNITO_ENDPOINT");
  // Cognito signs its tokens with this issuer however its API was reached (a VPC endpoint,
  // a FIPS endpoint, a proxy): the endpoint never decides it. Emulators sign with their own.
  const canonical = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
  const issuer = urlOf(env, "COGNITO_ISSUER") ?? canonical;
  const jwksUri = urlOf(env, "COGNITO_JWKS_URI") ?? `${issuer}/.well-known/jwks.json`;
  return { region, userPoolId, clientId, clientSecret, endpoint, refreshApi, issuer, jwksUri };
}

/**
 * An http(s) URL without query or fragment, trailing slashes dropped. Cleartext http only to
 * loopback: a refresh token or a signing key must not cross a network unencrypted.
 */
function urlOf(env: Env, name: string): string | undefined {
  const raw = get(env, name);
  if (raw === undefined) {
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !["http:", "https:"].includes(url.protocol) || url.search || url.hash) {
    throw new ConfigError(name, `expected an http(s) URL, got "${raw}"`);
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(name, `expected https (plain http is for loopback only), got "${raw}"`);
  }
  return url.href.replace(/\/+$/, "");
}
