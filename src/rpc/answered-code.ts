import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { recordOutcome } from "../observability/request-context.ts";
import { readTrailer } from "../wire/grpc-web-trailer.ts";
import { outcomeOfCode } from "../wire/outcome.ts";
import type { RpcProtocol } from "../wire/protocol.ts";

const END_STREAM = 0b10;

function connectEndStreamCode(frame: Uint8Array): number | undefined {
  if (frame.length < 5 || !((frame[0] ?? 0) & END_STREAM)) return undefined;
  try {
    const end = JSON.parse(Buffer.from(frame.subarray(5)).toString("utf8")) as {
      error?: { code?: string };
    };
    return end.error === undefined ? 0 : codeOfName(end.error.code);
  } catch {
    return undefined;
  }
}

const UNKNOWN = 2;

function codeOfName(name: unknown): number {
  return codeFromString(String(name)) ?? UNKNOWN;
}

function codeOfHeader(value: string | null | undefined): number {
  const code = Number(value ?? Number.NaN);
  return Number.isInteger(code) ? code : UNKNOWN;
}

/**
 * Records the outcome of an answer connect-es wrote itself (health, reflection, a message it
 * could not read), from the code it put on the answer: gRPC's grpc-status header or trailer,
 * gRPC-Web's trailer frame, or a Connect error body or end-of-stream message. Read as the
 * answer leaves, from connect-es's own response object; an answer our AuthService handler
 * gave was recorded by the handler, and that record stands.
 */
export function recordAnsweredCode(
  res: UniversalServerResponse,
  protocol: RpcProtocol,
): UniversalServerResponse {
  const record = (code: number | undefined) => {
    const { outcome, rpcCode } = outcomeOfCode(code ?? UNKNOWN);
    recordOutcome(outcome, rpcCode);
  };
  const status = res.header?.get("grpc-status");
  if (protocol !== "connect" && status !== null && status !== undefined) {
    record(codeOfHeader(status)); // trailers-only
    return res;
  }
  if (protocol === "connect" && !res.header?.get("content-type")?.includes("connect+")) {
    if (res.status === 200) {
      record(0);
      return res;
    }
  }
  const body = res.body;
  if (!body) {
    record(protocol === "connect" ? codeOfStatusBody(res.status, undefined) : undefined);
    return res;
  }
  async function* watched(): AsyncIterable<Uint8Array> {
    let last: Uint8Array | undefined;
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      last = chunk;
      yield chunk;
    }
    if (protocol === "grpc") record(codeOfHeader(res.trailer?.get("grpc-status")));
    else if (protocol === "grpc-web") {
      record(codeOfHeader(last && readTrailer(last)?.trailer.get("grpc-status")));
    } else if (res.status !== 200) record(codeOfStatusBody(res.status, last));
    else record(last && connectEndStreamCode(last));
  }
  return { ...res, body: watched() };
}

/** A Connect unary error body names its code first. */
function codeOfStatusBody(status: number, body: Uint8Array | undefined): number {
  try {
    const error = JSON.parse(Buffer.from(body ?? []).toString("utf8")) as { code?: string };
    return codeOfName(error.code);
  } catch {
    return status === 200 ? 0 : UNKNOWN;
  }
}
