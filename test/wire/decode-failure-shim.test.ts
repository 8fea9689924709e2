import { readFileSync } from "node:fs";
import { createConnectRouter } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Health } from "../../gen/health/v1/health_pb.ts";
import {
  asClientFault,
  CONNECT_ES_VERSION,
  UNREADABLE,
} from "../../src/wire/decode-failure-shim.ts";

async function* of(...chunks: string[]): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) yield Buffer.from(chunk, "latin1");
}

async function text(body: AsyncIterable<Uint8Array> | undefined): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body ?? []) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString("latin1");
}

function trailerFrame(lines: string): string {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(Buffer.byteLength(lines));
  return `\x80${length.toString("latin1")}${lines}`;
}

const json = (body: string, status = 500) => ({
  status,
  header: new Headers({ "content-type": "application/json" }),
  body: of(body),
});

describe("a request connect-es could not read", () => {
  it("is invalid_argument (400), not internal (500), over the Connect protocol", async () => {
    const res = await asClientFault(
      json('{"code":"internal","message":"parse binary: premature EOF"}'),
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(await text(res.body))).toEqual({
      code: "invalid_argument",
      message: "the request message could not be read",
    });
  });

  it("leaves our own internal errors alone", async () => {
    const body = '{"code":"internal","message":"Internal Server Error"}';
    const res = await asClientFault(json(body));
    expect(res.status).toBe(500);
    expect(await text(res.body)).toBe(body);
  });

  it("is INVALID_ARGUMENT over gRPC, in headers or trailers", async () => {
    const trailer = new Headers({ "grpc-status": "13", "grpc-message": "decompression%20failed" });
    const res = await asClientFault({
      status: 200,
      header: new Headers({ "content-type": "application/grpc+proto" }),
      trailer,
    });
    expect(res.trailer?.get("grpc-status")).toBe("3");
    expect(res.trailer?.get("grpc-message")).not.toContain("decompression");
  });

  it("is INVALID_ARGUMENT over gRPC-Web, in the trailer frame", async () => {
    const res = await asClientFault({
      status: 200,
      header: new Headers({ "content-type": "application/grpc-web+proto" }),
      body: of(trailerFrame("grpc-message: parse%20binary%3A%20x\r\ngrpc-status: 13\r\n")),
    });
    const body = await text(res.body);
    expect(body.charCodeAt(0)).toBe(0x80);
    expect(Buffer.from(body, "latin1").readUInt32BE(1)).toBe(Buffer.byteLength(body.slice(5)));
    expect(body).toContain("grpc-status: 3\r\n");
  });

  it("leaves a successful gRPC-Web answer byte for byte", async () => {
    const message = "\x00\x00\x00\x00\x02hi";
    const ok = trailerFrame("grpc-status: 0\r\n");
    const res = await asClientFault({
      status: 200,
      header: new Headers({ "content-type": "application/grpc-web+proto" }),
      body: of(message, ok),
    });
    expect(await text(res.body)).toBe(message + ok);
  });
});

describe("the shim's pin to connect-es", () => {
  it("is written for the connect-es version installed", () => {
    const manifest = new URL(
      "../../node_modules/@connectrpc/connect/package.json",
      import.meta.url,
    );
    const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
    expect(version).toBe(CONNECT_ES_VERSION);
  });

  it.each([
    ["Connect", "application/proto", 400],
    ["gRPC-Web", "application/grpc-web+proto", 200],
  ])(
    "turns connect-es's own answer to an unreadable %s message into invalid_argument",
    async (_name, contentType, status) => {
      const router = createConnectRouter();
      router.service(Health, { check: () => ({}) });
      const handler = router.handlers.find((h) => h.method.name === "Check");
      if (!handler) throw new Error("no Check handler");
      // A field tag with no value: protobuf's binary reader fails on it.
      const garbage = contentType.includes("grpc")
        ? frame([0x0a, 0xff])
        : Uint8Array.of(0x0a, 0xff);
      const answer = await asClientFault(
        await handler({
          httpVersion: "1.1",
          url: `http://localhost${handler.requestPath}`,
          method: "POST",
          header: new Headers({ "content-type": contentType }),
          body: (async function* () {
            yield garbage;
          })(),
          signal: new AbortController().signal,
        }),
      );
      expect(answer.status).toBe(status);
      const body = await text(answer.body);
      expect(body).toMatch(/invalid_argument|grpc-status: ?3/);
      expect(body).toContain(contentType.includes("grpc") ? "the%20request" : UNREADABLE);
    },
  );
});

function frame(bytes: number[]): Uint8Array {
  const out = Buffer.alloc(5 + bytes.length);
  out.writeUInt32BE(bytes.length, 1);
  Buffer.from(bytes).copy(out, 5);
  return out;
}
