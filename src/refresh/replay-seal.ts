import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { ProviderTokens } from "./ports.ts";

// Its own info string: the sealing key is independent of the token's key (a SHA-256 digest),
// so the digest a store is keyed by says nothing about the key that opens the value.
const INFO = "worth-auth refresh replay v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A refresh's answer as sealed, with when it was issued. */
export interface ReplayedTokens {
  tokens: ProviderTokens;
  /** Milliseconds since the epoch. */
  issuedAt: number;
}

export interface Sealer {
  seal(entry: ReplayedTokens): string;
  /** The entry, or undefined when the value was not sealed for this token (or is damaged). */
  open(sealed: string): ReplayedTokens | undefined;
}

/**
 * AES-256-GCM under a key derived from the refresh token itself (HKDF-SHA256): whoever reads
 * the store without the token learns nothing, and a value opens only with the token it was
 * sealed for. The token's key is the additional data, so a value moved to another key fails.
 */
export function sealerFor(token: string, key: string): Sealer {
  const secret = Buffer.from(hkdfSync("sha256", token, "", INFO, 32));
  const aad = Buffer.from(key);
  return {
    seal({ tokens, issuedAt }) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", secret, iv).setAAD(aad);
      const plain = JSON.stringify({
        a: tokens.accessToken,
        i: tokens.idToken,
        e: tokens.expiresIn,
        r: tokens.refreshToken,
        t: issuedAt,
      });
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
    },
    open(sealed) {
      const bytes = Buffer.from(sealed, "base64url");
      if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", secret, bytes.subarray(0, IV_BYTES))
          .setAAD(aad)
          .setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
        const plain = Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
        const value = JSON.parse(plain) as {
          a: string;
          i: string;
          e?: number;
          r?: string;
          t: number;
        };
        return {
          tokens: {
            accessToken: value.a,
            idToken: value.i,
            expiresIn: value.e,
            refreshToken: value.r,
          },
          issuedAt: value.t,
        };
      } catch {
        return undefined;
      }
    },
  };
}
