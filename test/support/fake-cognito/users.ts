/**
 * The fake's users and the refresh tokens it issued. Tokens are opaque random strings shaped
 * like Cognito's (a five-part JWE), so length checks in the service see realistic input.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { type CognitoErrorReply, FAKE_ERRORS } from "./steps.ts";

export type UserState = "confirmed" | "disabled" | "deleted" | "unconfirmed" | "password-reset";

export interface FakeUser {
  username: string;
  sub: string;
  email: string;
  givenName: string;
  familyName: string;
  customId: string;
  groups: string[];
  state: UserState;
}

export type RefreshTokenState = "valid" | "expired" | "revoked" | "rotated";

export interface RefreshTokenRecord {
  username: string;
  state: RefreshTokenState;
  authTime: number;
  originJti: string;
  /** When rotation replaced it; reuse within the grace period still succeeds. */
  rotatedAt?: number;
}

export const DEFAULT_USERNAME = "fake-customer";

const JWE_HEADER = Buffer.from('{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}').toString(
  "base64url",
);

function opaqueToken(): string {
  const part = (bytes: number) => randomBytes(bytes).toString("base64url");
  return [JWE_HEADER, part(256), part(12), part(1200), part(16)].join(".");
}

function newUser(username: string): FakeUser {
  return {
    username,
    sub: randomUUID(),
    email: `${username}@example.com`,
    givenName: "Fake",
    familyName: "Customer",
    customId: randomUUID(),
    groups: [],
    state: "confirmed",
  };
}

export class UserStore {
  readonly #users = new Map<string, FakeUser>();
  readonly #tokens = new Map<string, RefreshTokenRecord>();

  /** Creates the user, or updates the fields given for an existing one. */
  upsert(patch: Partial<FakeUser> = {}): FakeUser {
    const username = patch.username ?? DEFAULT_USERNAME;
    const user = { ...(this.#users.get(username) ?? newUser(username)), ...patch, username };
    this.#users.set(username, user);
    return user;
  }

  get(username: string): FakeUser | undefined {
    return this.#users.get(username);
  }

  issue(username: string, from?: RefreshTokenRecord): string {
    const token = opaqueToken();
    const nowSeconds = Math.floor(Date.now() / 1000);
    this.#tokens.set(token, {
      username,
      state: "valid",
      authTime: from?.authTime ?? nowSeconds,
      originJti: from?.originJti ?? randomUUID(),
    });
    return token;
  }

  token(token: string): RefreshTokenRecord | undefined {
    return this.#tokens.get(token);
  }

  setTokenState(token: string, state: RefreshTokenState): void {
    const record = this.#tokens.get(token);
    if (!record) {
      throw new Error("setTokenState: the fake never issued this refresh token");
    }
    record.state = state;
    record.rotatedAt = state === "rotated" ? Date.now() : undefined;
  }

  /** What Cognito says about this token and its user, or the record when all is well. */
  check(token: string, reuseGraceMs: number): RefreshTokenRecord | CognitoErrorReply {
    const record = this.#tokens.get(token);
    if (!record) {
      return FAKE_ERRORS.invalid;
    }
    if (record.state === "expired") {
      return FAKE_ERRORS.expired;
    }
    if (record.state === "revoked") {
      return FAKE_ERRORS.revoked;
    }
    if (record.state === "rotated" && Date.now() - (record.rotatedAt ?? 0) > reuseGraceMs) {
      return FAKE_ERRORS.reuse;
    }
    const user = this.#users.get(record.username);
    switch (user?.state) {
      case undefined:
      case "deleted":
        return FAKE_ERRORS["user-not-found"];
      case "disabled":
        return FAKE_ERRORS.disabled;
      case "unconfirmed":
        return FAKE_ERRORS.unconfirmed;
      case "password-reset":
        return FAKE_ERRORS["password-reset"];
      default:
        return record;
    }
  }
}
