/**
 * What the bench measures: each target is one server process (pinned to the server core) and
 * one protocol to drive it with. Baselines do the service's work without the service's code.
 */
import type { ServerKind } from "./servers/kinds.ts";

export type Protocol = "rest-h1" | "connect-json-h1" | "connect-binary-h2" | "grpc-h2c";

export interface Target {
  id: string;
  /** The table's first column. */
  label: string;
  server: ServerKind;
  protocol: Protocol;
  /** The raw target this one is compared with (absent on the raw baselines themselves). */
  raw?: string;
  service: boolean;
  /** Set on the copies that run another checkout's src/ (`--before <dir>`). */
  variant?: "before";
  /** That checkout's root, handed to the server as BENCH_SRC_ROOT. */
  srcRoot?: string;
}

export const PROTOCOL_LABELS: Record<Protocol, string> = {
  "rest-h1": "REST JSON, HTTP/1.1",
  "connect-json-h1": "Connect JSON, HTTP/1.1",
  "connect-binary-h2": "Connect binary, HTTP/2",
  "grpc-h2c": "gRPC, h2c",
};

// Ordered so that what a target is compared with runs right after it in every round: the
// machine's speed drifts, and neighbours in time see the same machine.
export const TARGETS: readonly Target[] = [
  {
    id: "service-rest",
    label: "service REST route",
    server: "service",
    protocol: "rest-h1",
    raw: "raw-http",
    service: true,
  },
  {
    id: "raw-http",
    label: "raw node:http",
    server: "raw-http",
    protocol: "rest-h1",
    service: false,
  },
  {
    id: "express",
    label: "Express 5 + express.json()",
    server: "express",
    protocol: "rest-h1",
    raw: "raw-http",
    service: false,
  },
  {
    id: "service-connect-json",
    label: "service Connect JSON",
    server: "service",
    protocol: "connect-json-h1",
    raw: "raw-http",
    service: true,
  },
  {
    id: "connect-bare-json",
    label: "bare connect-node Connect JSON",
    server: "connect-bare-h1",
    protocol: "connect-json-h1",
    raw: "raw-http",
    service: false,
  },
  {
    id: "service-connect-h2",
    label: "service Connect binary",
    server: "service",
    protocol: "connect-binary-h2",
    raw: "raw-http2",
    service: true,
  },
  {
    id: "connect-bare-h2",
    label: "bare connect-node Connect binary",
    server: "connect-bare-h2",
    protocol: "connect-binary-h2",
    raw: "raw-http2",
    service: false,
  },
  {
    id: "service-grpc",
    label: "service gRPC",
    server: "service",
    protocol: "grpc-h2c",
    raw: "raw-http2",
    service: true,
  },
  {
    id: "connect-bare-grpc",
    label: "bare connect-node gRPC",
    server: "connect-bare-h2",
    protocol: "grpc-h2c",
    raw: "raw-http2",
    service: false,
  },
  {
    id: "raw-http2",
    label: "raw node:http2",
    server: "raw-http2",
    protocol: "grpc-h2c",
    service: false,
  },
  {
    id: "grpc-js",
    label: "@grpc/grpc-js",
    server: "grpc-js",
    protocol: "grpc-h2c",
    raw: "raw-http2",
    service: false,
  },
];

// Ids go into refresh tokens as tags: only characters a token may hold.
export const BEFORE_PREFIX = "before-";

/**
 * The targets, each followed by its copy on another checkout's src/ when `beforeRoot` is
 * given: ids "before-<id>", compared with that checkout's own raw baselines. Adjacent, so the
 * interleaved rounds measure a target and its "before" one right after the other.
 */
export function withBefore(targets: readonly Target[], beforeRoot: string | undefined): Target[] {
  if (!beforeRoot) return [...targets];
  return targets.flatMap((target) => [
    target,
    {
      ...target,
      id: `${BEFORE_PREFIX}${target.id}`,
      label: `${target.label} (before)`,
      raw: target.raw === undefined ? undefined : `${BEFORE_PREFIX}${target.raw}`,
      variant: "before" as const,
      srcRoot: beforeRoot,
    },
  ]);
}
