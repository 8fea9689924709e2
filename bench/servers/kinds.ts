/** The servers bench/servers/entry.ts can start. */
export const SERVER_KINDS = [
  "service",
  "raw-http",
  "raw-http2",
  "express",
  "grpc-js",
  "connect-bare-h1",
  "connect-bare-h2",
] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];
