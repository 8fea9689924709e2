/**
 * Paths with no procedure, and requests the router refuses before any handler, answered in
 * the caller's own protocol: a gRPC client reads a status, a Connect client a Connect error,
 * a REST client the REST body. Real clients: @grpc/grpc-js, connect-node (Connect, gRPC and
 * gRPC-Web transports) and raw HTTP/1.0.
 */
import { connect } from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../gen/health/v1/health_pb.ts";
import { type Observed, startObserved } from "../observability/harness.ts";

let service: Observed;

beforeAll(async () => {
  service = await startObserved();
});

afterAll(async () => {
  await service?.close();
});

/** grpc-js calling a method the service does not have, with the request id it sent. */
function grpcJsUnknown(port: number, path: string, requestId: string): Promise<grpc.ServiceError> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("x-request-id", requestId);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (message: Buffer) => message,
      (bytes: Buffer) => bytes,
      Buffer.alloc(0),
      metadata,
      (error) => {
        client.close();
        if (error) resolve(error);
        else reject(new Error("expected the call to fail"));
      },
    );
  });
}

describe("a method the service does not have", () => {
  it("is UNIMPLEMENTED to a gRPC client (grpc-js), trailers-only, not a REST body", async () => {
    const error = await grpcJsUnknown(
      service.port,
      "/worth.auth.v1.AuthService/Nope",
      "rpc-nope-1",
    );
    expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(error.details).toBe("Not Found");
    const line = await service.requestLine("rpc-nope-1");
    expect(line).toMatchObject({ protocol: "grpc", outcome: "not_found", code: "unimplemented" });
  });

  it("is UNIMPLEMENTED for an unknown service too, at the root and under BASE_PATH", async () => {
    for (const path of ["/no.such.Service/Call", "/auth/api/v1/no.such.Service/Call"]) {
      const error = await grpcJsUnknown(service.port, path, `rpc-nope-${path.length}`);
      expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
    }
  });

  it.each([
    ["Connect", createConnectTransport, "1.1"],
    ["gRPC", createGrpcTransport, "2"],
    ["gRPC-Web", createGrpcWebTransport, "1.1"],
  ] as const)("is unimplemented to a connect-node %s client", async (_name, make, version) => {
    // Health's methods under a prefix the service does not serve them at.
    const baseUrl = `${service.url}/nowhere`;
    const client = createClient(Health, make({ baseUrl, httpVersion: version }));
    const error = await client.check({ service: "" }).then(
      () => undefined,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(error?.code).toBe(Code.Unimplemented);
  });

  it("is 404 with a Connect error body over Connect, and the REST 404 elsewhere", async () => {
    const connectAnswer = await fetch(`${service.url}/worth.auth.v1.AuthService/Nope`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(connectAnswer.status).toBe(404);
    expect(await connectAnswer.json()).toEqual({ code: "unimplemented", message: "Not Found" });
    const restAnswer = await fetch(`${service.url}/auth/api/v1/refresh-token/nobody`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(restAnswer.status).toBe(404);
    expect(await restAnswer.text()).toBe('{"message":"Not Found","errorCode":"ERR_NOT_FOUND"}');
  });

  it("is trailers-only grpc-status 12 over gRPC-Web", async () => {
    const answer = await fetch(`${service.url}/worth.auth.v1.AuthService/Nope`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-request-id": "web-nope" },
      body: new Uint8Array(5),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("grpc-status")).toBe("12");
    expect(answer.headers.get("content-type")).toBe("application/grpc-web+proto");
    const line = await service.requestLine("web-nope");
    expect(line).toMatchObject({ protocol: "grpc-web", outcome: "not_found" });
  });
});

/** One HTTP/1.0 request with no Host header, as raw bytes; the whole answer back. */
function withoutHost(path: string, contentType: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(service.port, "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
    });
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
    socket.write(
      `POST ${path} HTTP/1.0\r\ncontent-type: ${contentType}\r\ncontent-length: 0\r\n\r\n`,
    );
  });
}

describe("a request with no Host", () => {
  it("is invalid_argument in gRPC-Web's shape on an RPC path", async () => {
    const answer = await withoutHost(
      "/worth.auth.v1.AuthService/RefreshCustomerToken",
      "application/grpc-web+proto",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\ngrpc-status: 3\r\n/i);
    expect(answer).toMatch(/\r\ngrpc-message: Invalid%20Host%20header\r\n/i);
  });

  it("is a Connect error on an RPC path called over Connect", async () => {
    const answer = await withoutHost(
      "/worth.auth.v1.AuthService/RefreshCustomerToken",
      "application/json",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('{"code":"invalid_argument","message":"Invalid Host header"}');
  });

  it("is the documented 400 envelope on any other path", async () => {
    const answer = await withoutHost("/anything", "application/json");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"message":"Invalid Host header"');
    expect(answer).toContain('"errorName":"SignInApiError"');
  });
});
