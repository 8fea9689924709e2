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
}

export const PROTOCOL_LABELS: Record<Protocol, string> = {
  "rest-h1": "REST JSON, HTTP/1.1",
  "connect-json-h1": "Connect JSON, HTTP/1.1",
  "connect-binary-h2": "Connect binary, HTTP/2",
  "grpc-h2c": "gRPC, h2c",
};

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
    id: "service-connect-json",
    label: "service Connect JSON",
    server: "service",
    protocol: "connect-json-h1",
    raw: "raw-http",
    service: true,
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
    id: "service-grpc",
    label: "service gRPC",
    server: "service",
    protocol: "grpc-h2c",
    raw: "raw-http2",
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
    id: "connect-bare-json",
    label: "bare connect-node Connect JSON",
    server: "connect-bare-h1",
    protocol: "connect-json-h1",
    raw: "raw-http",
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
  {
    id: "connect-bare-h2",
    label: "bare connect-node Connect binary",
    server: "connect-bare-h2",
    protocol: "connect-binary-h2",
    raw: "raw-http2",
    service: false,
  },
  {
    id: "connect-bare-grpc",
    label: "bare connect-node gRPC",
    server: "connect-bare-h2",
    protocol: "grpc-h2c",
    raw: "raw-http2",
    service: false,
  },
];
