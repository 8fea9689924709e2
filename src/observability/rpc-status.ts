import { codeFromString, codeToString } from "@connectrpc/connect/protocol-connect";
import type { Response } from "../transport/http-types.ts";
import type { Protocol } from "./request-context.ts";

type Writable = { write: (...args: unknown[]) => boolean; addTrailers?: (h: object) => void };

function nameOf(status: string | number | undefined): string | undefined {
  if (status === undefined || status === "") return undefined;
  const code = Number(status);
  if (!Number.isInteger(code)) return undefined;
  return code === 0 ? "ok" : codeToString(code);
}

/**
 * Reads the RPC code of an answer no handler of ours gave (decode failures,
 * health, reflection) off the wire: gRPC's grpc-status header or trailer, the
 * trailer frame gRPC-Web puts last in the body, or a Connect error body. Only
 * the code is kept, never the chunk's other content.
 */
export function watchRpcCode(res: Response, protocol: Protocol): () => string | undefined {
  if (protocol !== "grpc" && protocol !== "grpc-web" && protocol !== "connect") {
    return () => undefined;
  }
  const target = res as unknown as Writable;
  let trailerStatus: string | undefined;
  let inBody: string | undefined;
  if (protocol === "grpc" && target.addTrailers) {
    const addTrailers = target.addTrailers;
    target.addTrailers = function (this: unknown, headers: object) {
      const status = (headers as Record<string, unknown>)["grpc-status"];
      if (status !== undefined) trailerStatus = String(status);
      addTrailers.call(this, headers);
    };
  }
  if (protocol !== "grpc") {
    const write = target.write;
    target.write = function (this: unknown, ...args: unknown[]) {
      // A Connect answer with status 200 is "ok" whatever its body says (see below): only an
      // error's body is worth reading, and every success would pay for the look.
      if (protocol === "grpc-web" || res.statusCode !== 200) {
        inBody = codeInChunk(args[0], protocol) ?? inBody;
      }
      return write.apply(this, args);
    };
  }
  return () => {
    const header = res.getHeader("grpc-status");
    if (protocol === "grpc") return nameOf(trailerStatus ?? (header as string | undefined));
    if (protocol === "grpc-web") return inBody ?? nameOf(header as string | undefined);
    return res.statusCode === 200 ? "ok" : inBody;
  };
}

const GRPC_STATUS = /grpc-status:\s*(\d+)/gi;
const CONNECT_CODE = /^\{"code":"([a-z_]+)"/;

function codeInChunk(chunk: unknown, protocol: Protocol): string | undefined {
  if (!(chunk instanceof Uint8Array) && typeof chunk !== "string") return undefined;
  const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
  if (protocol === "grpc-web") {
    // The trailer frame ends the body, whether written alone or after the message.
    const tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 512))).toString("latin1");
    return nameOf([...tail.matchAll(GRPC_STATUS)].at(-1)?.[1]);
  }
  // A Connect error body starts with its code.
  const head = Buffer.from(bytes.subarray(0, 64)).toString("latin1");
  const code = CONNECT_CODE.exec(head)?.[1];
  return code !== undefined && codeFromString(code) !== undefined ? code : undefined;
}
