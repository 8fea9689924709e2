import type { Claim, ClaimWatch, ReplayStore } from "../refresh/ports.ts";

export interface MemoryReplayStore extends ReplayStore {
  /** Entries held now (expired ones go when met or pushed out). */
  size(): number;
}

const SETTLED: Claim = { settle: async () => undefined };

/**
 * One replica's replay store: sealed values by key, each until its TTL, at most `maxEntries`,
 * the oldest pushed out first. Claims are always granted: within a replica the replay keeps its
 * own calls (see replay.ts), so there is nobody else to wait for.
 */
export function createMemoryReplayStore(
  maxEntries: number,
  clock: () => number = Date.now,
): MemoryReplayStore {
  // A Map keeps insertion order: its first entry is the oldest.
  const entries = new Map<string, { sealed: string; expiresAt: number }>();
  // Keys forgotten (revoked) lately: an answer still on its way for one is not kept.
  const forgotten = new Map<string, number>();
  return {
    size: () => entries.size,
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= clock()) {
        entries.delete(key);
        return undefined;
      }
      return entry.sealed;
    },
    async put(key, sealed, ttlMs) {
      const until = forgotten.get(key);
      if (until !== undefined) {
        if (until > clock()) return;
        forgotten.delete(key);
      }
      entries.delete(key);
      entries.set(key, { sealed, expiresAt: clock() + ttlMs });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    async forget(key, ms) {
      entries.delete(key);
      forgotten.delete(key);
      forgotten.set(key, clock() + ms);
      // Bounded like the entries: lapsed marks go first, then the oldest.
      if (forgotten.size > maxEntries) {
        const now = clock();
        for (const [marked, until] of forgotten) if (until <= now) forgotten.delete(marked);
      }
      while (forgotten.size > maxEntries) {
        const oldest = forgotten.keys().next().value;
        if (oldest === undefined) break;
        forgotten.delete(oldest);
      }
    },
    watch(): ClaimWatch {
      let timer: NodeJS.Timeout | undefined;
      return {
        outcome: (ms, signal) =>
          new Promise((resolve, reject) => {
            if (signal?.aborted) return reject(signal.reason);
            timer = setTimeout(() => resolve("expired"), ms);
            signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
          }),
        close: () => clearTimeout(timer),
      };
    },
    claim: async () => SETTLED,
  };
}
