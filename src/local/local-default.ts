/**
 * The development default: with no COGNITO_* at all, `npm start` runs against an embedded
 * Cognito-compatible emulator with a demo customer, and serves a demo page. This module turns
 * that into ordinary settings (the emulator's COGNITO_* variables), so the service's own
 * configuration knows nothing of it. Production (Cognito configured) never loads src/local/.
 */
import { fileURLToPath } from "node:url";
import { ConfigError, type Env, get, integer } from "../config/env.ts";
import { isLoopbackHost } from "../config/loopback.ts";
import type { Handler } from "../http/types.ts";
import { createDemoRoutes } from "./demo-routes.ts";
import { startEmbedded } from "./embedded.ts";

const DEFAULT_DATA_DIR = fileURLToPath(new URL("../../.local/", import.meta.url));

export interface LocalDefault {
  /** The environment to load the service's configuration from: the emulator's COGNITO_*. */
  env: Env;
  /** Signs the demo customer in again: a new refresh token each call. */
  freshRefreshToken(): Promise<string>;
  /** The demo page and its token routes, for the configuration loaded from `env`. */
  demoRoutes(
    settings: { cookie: { name: string; path: string; maxAgeSeconds: number }; basePath: string },
    onError: (what: string, error: unknown) => void,
  ): ReadonlyMap<string, Handler>;
  stop(): Promise<void>;
}

/**
 * The demo routes hand out tokens (/demo/token): the default listens on loopback only,
 * whatever HOST asks; a service for the network is configured with COGNITO_*.
 */
export function loopbackHost(env: Env): string {
  const raw = get(env, "HOST");
  if (raw !== undefined && !isLoopbackHost(raw)) {
    throw new ConfigError(
      "HOST",
      `the embedded default (no COGNITO_* set) serves demo tokens on loopback only (127.0.0.1, ::1), got "${raw}"`,
    );
  }
  return raw ?? "127.0.0.1";
}

/**
 * The demo page calls the service from its own origin, under either loopback name; with
 * PORT=0 the origin is not known before listening, so only CORS_ORIGINS applies then.
 */
function corsOrigins(env: Env, port: number): string {
  const own = port === 0 ? [] : [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  const given = (get(env, "CORS_ORIGINS") ?? "").split(",").map((origin) => origin.trim());
  return [...new Set([...given.filter(Boolean), ...own])].join(",");
}

/** Starts the emulator (data in LOCAL_DATA_DIR, else <repo>/.local) and resolves the settings. */
export async function startLocalDefault(env: Env): Promise<LocalDefault> {
  const HOST = loopbackHost(env);
  const port = integer(env, "PORT", 8080, 0, 65535);
  const started = await startEmbedded({ dataDir: get(env, "LOCAL_DATA_DIR") ?? DEFAULT_DATA_DIR });
  return {
    env: { ...env, ...started.env, HOST, CORS_ORIGINS: corsOrigins(env, port) },
    freshRefreshToken: started.freshRefreshToken,
    demoRoutes: ({ cookie, basePath }, onError) =>
      createDemoRoutes({ freshRefreshToken: started.freshRefreshToken, cookie, basePath, onError }),
    stop: started.stop,
  };
}
