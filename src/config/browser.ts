import { ConfigError, type Env, get, integer } from "./env.ts";
import type { Config } from "./types.ts";

// RFC 6265 cookie-name token characters.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// A cookie path: a leading slash, then URL path characters, and nothing that ends the
// attribute (";") or needs escaping.
const COOKIE_PATH = /^\/[A-Za-z0-9._~!$&'()*+,=:@/%-]*$/;

/** The refresh token cookie: read from requests, written by rotation, cleared when dead. */
export function cookie(env: Env, base: string): Config["cookie"] {
  const name = get(env, "REFRESH_TOKEN_COOKIE") ?? "refresh_token";
  if (!COOKIE_NAME.test(name)) {
    throw new ConfigError("REFRESH_TOKEN_COOKIE", "expected a cookie name (RFC 6265 token)");
  }
  // Cognito's default refresh token validity is 30 days.
  const maxAgeSeconds = integer(env, "REFRESH_TOKEN_COOKIE_MAX_AGE", 2_592_000, 1, 315_360_000);
  // One path for every face: the REST routes and the RPC procedures all live under BASE_PATH.
  // Browsers keep a __Host- cookie only at Path=/.
  const hostOnly = name.toLowerCase().startsWith("__host-");
  const path = get(env, "REFRESH_TOKEN_COOKIE_PATH") ?? (hostOnly ? "/" : base || "/");
  if (!COOKIE_PATH.test(path)) {
    throw new ConfigError(
      "REFRESH_TOKEN_COOKIE_PATH",
      `expected a cookie path like / or /auth/api/v1, got "${path}"`,
    );
  }
  if (hostOnly && path !== "/") {
    throw new ConfigError("REFRESH_TOKEN_COOKIE_PATH", "a __Host- cookie must have the path /");
  }
  // A browser sends the cookie only to paths under its own: the routes must be among them.
  if (path !== "/" && path !== base && !base.startsWith(`${path.replace(/\/$/, "")}/`)) {
    throw new ConfigError(
      "REFRESH_TOKEN_COOKIE_PATH",
      `expected / or a path that BASE_PATH (${base || "/"}) is under, got "${path}"`,
    );
  }
  return { name, path, maxAgeSeconds };
}

/** The browser origins allowed to call with credentials, and how long a preflight lasts. */
export function cors(env: Env): Config["cors"] {
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
