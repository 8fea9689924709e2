/** The public shape of the Cognito fake; startFakeCognito() in index.ts builds one. */
import type { Operation } from "./operations.ts";
import type { JwksStep, Step } from "./steps.ts";
import type { FakeUser, RefreshTokenState } from "./users.ts";

export interface FakeCognitoOptions {
  userPoolId?: string;
  clientId?: string;
  /** null: an app client without a secret. Default: a random secret (none for initiate-auth). */
  clientSecret?: string | null;
  refreshApi?: "get-tokens" | "initiate-auth";
  /** The app client has refresh token rotation on: GetTokensFromRefreshToken rotates. */
  rotate?: boolean;
  expiresIn?: number;
  /** How long a rotated-away refresh token still works before it counts as reuse. */
  reuseGraceMs?: number;
  /**
   * The `iss` of the tokens it signs. Default: its own address, as emulators do (and its env
   * then names it in COGNITO_ISSUER). Give Cognito's canonical one to be an endpoint on another
   * host than the issuer, as a VPC endpoint or a proxy is.
   */
  issuer?: string;
}

export interface FakeCognito {
  /** http://127.0.0.1:<port>, no trailing slash. */
  endpoint: string;
  /** The COGNITO_* variables for loadConfig() / startService(). */
  env: Record<string, string>;
  userPoolId: string;
  clientId: string;
  clientSecret: string | null;
  issuer: string;
  /** Queue steps, one per refresh call, in order. */
  script(...steps: Step[]): void;
  /** The step for every call once the queue is empty (undefined: back to normal). */
  scriptAlways(step: Step | undefined): void;
  scriptJwks(...steps: JwksStep[]): void;
  scriptJwksAlways(step: JwksStep | undefined): void;
  /** Scripted refresh steps not consumed yet. */
  pending(): number;
  /** Refresh operations that arrived: all of them, or of one operation. */
  calls(operation?: Operation): number;
  jwksRequests(): number;
  /** TCP connections accepted: with keep-alive, far fewer than calls. */
  connections(): number;
  /** A refresh token the fake accepts, for the given user (created or updated). */
  issueRefreshToken(user?: Partial<FakeUser>): string;
  /** Creates or updates a user, e.g. `{ username, state: "disabled" }`. */
  setUser(user: Partial<FakeUser>): FakeUser;
  user(username?: string): FakeUser | undefined;
  setRefreshTokenState(token: string, state: RefreshTokenState): void;
  /** Signs from now on with a new key, published next to the old one. */
  rotateSigningKey(): void;
  /** Clears scripts and counters and drops held or delayed requests; keeps users and tokens. */
  reset(): void;
  close(): Promise<void>;
}
