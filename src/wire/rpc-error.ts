import type { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { RpcProtocol } from "./protocol.ts";

const GRPC_TYPE = /^application\/grpc(?:-web(?:-text)?)?(?:\+[a-z]+)?$/;
const DEFAULT_TYPE: Readonly<Record<RpcProtocol, string>> = {
  grpc: "application/grpc",
  "grpc-web": "application/grpc-web+proto",
  connect: "application/json",
};

/**
 * An RPC error written by us, not by connect-es (no procedure at the path, a request the
 * router refuses): gRPC and gRPC-Web get a trailers-only answer, HTTP 200 with the status in
 * the headers; Connect gets its error body, with the table's HTTP status (404 for a path with
 * no procedure, which Connect clients read as unimplemented).
 */
export function rpcErrorAnswer(
  rpc: { protocol: RpcProtocol; contentType: string },
  error: { code: Code; message: string; status: number },
  headers: Readonly<Record<string, string>>,
): { status: number; headers: Record<string, string>; body: string; rpcCode: string } {
  const { code, message } = error;
  if (rpc.protocol === "connect") {
    return {
      status: error.status,
      headers: { ...headers, "content-type": DEFAULT_TYPE.connect },
      body: JSON.stringify({ code: codeToString(code), message }),
      rpcCode: codeToString(code),
    };
  }
  const type = rpc.contentType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return {
    status: 200,
    headers: {
      ...headers,
      "content-type": GRPC_TYPE.test(type) ? type : DEFAULT_TYPE[rpc.protocol],
      "grpc-status": String(code),
      "grpc-message": encodeURIComponent(message),
    },
    body: "",
    rpcCode: codeToString(code),
  };
}
