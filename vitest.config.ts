import { defineConfig } from "vitest/config";

/**
 * Files that time things (attempt timeouts of 400 ms, slowloris cut-offs, drains, Redis
 * pauses) or that make load of their own (the cluster, the bench harness). On a 2-core CI
 * machine a load file beside a timing file stalls the timing file's event loop past its
 * timeouts, so these run after the rest, one file at a time.
 */
const SERIAL = [
  "test/limits/redis-limits.test.ts",
  "test/replay/redis-replay-store.test.ts",
  "test/system/cluster/**/*.test.ts",
  "test/system/faults/**/*.test.ts",
  "test/system/hostile/floods.test.ts",
  "test/system/hostile/held-connections.test.ts",
  "test/system/hostile/raw-http1.test.ts",
  "test/system/load/**/*.test.ts",
  "test/system/process/drain.test.ts",
];

const shared = {
  // Integration files each start their own emulator and servers on port 0.
  testTimeout: 20_000,
  hookTimeout: 60_000,
  pool: "forks",
} as const;

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          ...shared,
          name: "parallel",
          include: ["test/**/*.test.ts"],
          exclude: SERIAL,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          ...shared,
          name: "serial",
          include: SERIAL,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
