/**
 * Server reflection, every request kind, through a Connect gRPC client: what buf curl and
 * grpcurl ask is covered end to end in test/system/interop; this file pins the answers
 * themselves, including the ones those tools rarely send (by file name, by extension, error
 * responses).
 */
import {
  create,
  createFileRegistry,
  type DescService,
  fromBinary,
  getOption,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ServerReflection as ReflectionV1,
  type ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { type RunningService, startService } from "../support/server.ts";

// Reflection needs no identity provider: keys "load" at once and nothing is ever verified.
const ENV = {
  COGNITO_REGION: "us-east-1",
  COGNITO_USER_POOL_ID: "us-east-1_reflection",
  COGNITO_CLIENT_ID: "reflectiontest",
  COGNITO_ENDPOINT: "http://127.0.0.1:9",
  COGNITO_REFRESH_API: "initiate-auth",
};
const verifier = { hydrate: async () => {}, verify: () => Promise.reject(new Error("unused")) };

const SERVICES = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
  "worth.auth.v1.AuthService",
];
const AUTH_FILES = [
  "worth/auth/v1/auth_service.proto",
  "google/api/annotations.proto",
  "google/api/http.proto",
  "google/protobuf/descriptor.proto",
];

type Question = MessageInitShape<typeof ServerReflectionRequestSchema>["messageRequest"];

let service: RunningService;

beforeAll(async () => {
  service = await startService(ENV, { overrides: { verifier } });
});

afterAll(async () => {
  await service?.close();
});

/** Asks each question in turn on one stream (so files sent earlier may be skipped). */
async function ask(
  questions: Question[],
  version: DescService = ReflectionV1,
): Promise<ServerReflectionResponse["messageResponse"][]> {
  const client = createClient(
    version as typeof ReflectionV1,
    createGrpcTransport({ baseUrl: service.url }),
  );
  async function* requests() {
    for (const messageRequest of questions) yield { host: "", messageRequest };
  }
  const answers: ServerReflectionResponse["messageResponse"][] = [];
  for await (const response of client.serverReflectionInfo(requests())) {
    answers.push(response.messageResponse);
  }
  return answers;
}

function fileNames(answer: ServerReflectionResponse["messageResponse"] | undefined): string[] {
  if (answer?.case !== "fileDescriptorResponse") throw new Error(`got ${answer?.case}`);
  return answer.value.fileDescriptorProto.map(
    (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
  );
}

describe("server reflection", () => {
  it.each([
    ["v1", ReflectionV1],
    ["v1alpha", ReflectionV1alpha],
  ])("lists the served services over %s", async (_name, version) => {
    const [answer] = await ask([{ case: "listServices", value: "" }], version);
    expect(answer?.case).toBe("listServicesResponse");
    const names = answer?.case === "listServicesResponse" ? answer.value.service : [];
    expect(names.map((s) => s.name).sort()).toEqual(SERVICES);
  });

  it("sends the file declaring a symbol with all its imports, enough to rebuild the schema", async () => {
    const [answer] = await ask([
      { case: "fileContainingSymbol", value: "worth.auth.v1.AuthService" },
    ]);
    expect(fileNames(answer)).toEqual(AUTH_FILES);
    if (answer?.case !== "fileDescriptorResponse") return;
    const protos = answer.value.fileDescriptorProto.map((b) =>
      fromBinary(FileDescriptorProtoSchema, b),
    );
    const registry = createFileRegistry(
      create(FileDescriptorSetSchema, { file: protos.reverse() }),
    );
    const method = registry.getService("worth.auth.v1.AuthService")?.methods[0];
    const http = registry.getExtension("google.api.http");
    if (!method || !http) throw new Error("schema incomplete");
    // The REST mapping survives the trip: the client sees the option, not just the names.
    expect(getOption(method, http)).toMatchObject({
      pattern: { case: "post", value: "/refresh-token/customer" },
      body: "*",
    });
  });

  it("finds methods and fields, and skips imports this stream already carried", async () => {
    const answers = await ask([
      { case: "fileContainingSymbol", value: "worth.auth.v1.AuthService.RefreshCustomerToken" },
      {
        case: "fileContainingSymbol",
        value: "worth.auth.v1.RefreshCustomerTokenRequest.refresh_token",
      },
      { case: "fileByFilename", value: "google/api/http.proto" },
    ]);
    expect(fileNames(answers[0])).toEqual(AUTH_FILES);
    expect(fileNames(answers[1])).toEqual(["worth/auth/v1/auth_service.proto"]);
    expect(fileNames(answers[2])).toEqual(["google/api/http.proto"]);
  });

  it("answers by file name, by extension, and with the numbers of a type's extensions", async () => {
    const answers = await ask([
      { case: "fileByFilename", value: "health/v1/health.proto" },
      {
        case: "fileContainingExtension",
        value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 72295728 },
      },
      { case: "allExtensionNumbersOfType", value: "google.protobuf.MethodOptions" },
    ]);
    expect(fileNames(answers[0])).toEqual(["health/v1/health.proto"]);
    expect(fileNames(answers[1])[0]).toBe("google/api/annotations.proto");
    expect(answers[2]).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "google.protobuf.MethodOptions", extensionNumber: [72295728] },
    });
  });

  it("answers what it does not know with a NOT_FOUND error response and keeps the stream", async () => {
    const answers = await ask([
      { case: "fileByFilename", value: "no/such.proto" },
      { case: "fileContainingSymbol", value: "worth.auth.v1.NoSuchThing" },
      {
        case: "fileContainingExtension",
        value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 99 },
      },
      { case: "allExtensionNumbersOfType", value: "no.such.Type" },
      { case: "listServices", value: "" },
    ]);
    for (const answer of answers.slice(0, 4)) {
      expect(answer).toMatchObject({ case: "errorResponse", value: { errorCode: Code.NotFound } });
    }
    expect(answers[4]?.case).toBe("listServicesResponse");
  });
});
