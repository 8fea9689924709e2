/** The RPC protocols connect-es serves on the port. */
export type RpcProtocol = "connect" | "grpc" | "grpc-web";

/** What a request speaks: a documented REST route, an RPC protocol, or plain HTTP. */
export type Protocol = "rest" | "http" | RpcProtocol;

// The last two segments of /package.Service/Method, at the root or under a prefix.
const PROCEDURE_TAIL = /(?:^|\/)[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\/[A-Za-z_]\w*$/;
const CONNECT_TYPE = /^application\/(?:connect\+)?(?:json|proto)(?:$|[;\s])/;

/** A path shaped like an RPC procedure, whether or not this service has it. */
export function looksLikeProcedure(path: string): boolean {
  return PROCEDURE_TAIL.test(path);
}

/**
 * The RPC protocol a request speaks, read off its content type (and, for Connect, whose
 * content types a REST client also sends, the path's shape); undefined for anything else.
 */
export function rpcProtocolOf(contentType: string, path: string): RpcProtocol | undefined {
  const type = contentType.toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  if (CONNECT_TYPE.test(type) && looksLikeProcedure(path)) return "connect";
  return undefined;
}
