/** Baseline: @grpc/grpc-js server, gRPC over cleartext HTTP/2. */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type RefreshCustomerTokenRequest,
  RefreshCustomerTokenRequestSchema,
  type RefreshCustomerTokenResponse,
  RefreshCustomerTokenResponseSchema,
} from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { RPC_PATH } from "./bytes.ts";
import type { Work } from "./work.ts";

const definition: grpc.ServiceDefinition = {
  RefreshCustomerToken: {
    path: RPC_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: RefreshCustomerTokenRequest) =>
      Buffer.from(toBinary(RefreshCustomerTokenRequestSchema, m)),
    requestDeserialize: (b: Buffer) => fromBinary(RefreshCustomerTokenRequestSchema, b),
    responseSerialize: (m: RefreshCustomerTokenResponse) =>
      Buffer.from(toBinary(RefreshCustomerTokenResponseSchema, m)),
    responseDeserialize: (b: Buffer) => fromBinary(RefreshCustomerTokenResponseSchema, b),
  },
};

export async function grpcJsServer(work: Work): Promise<{ port: number; close(): Promise<void> }> {
  const server = new grpc.Server();
  const noStore = new grpc.Metadata();
  noStore.set("cache-control", "no-store");
  server.addService(definition, {
    RefreshCustomerToken: (
      call: grpc.ServerUnaryCall<RefreshCustomerTokenRequest, RefreshCustomerTokenResponse>,
      callback: grpc.sendUnaryData<RefreshCustomerTokenResponse>,
    ) => {
      work.refresh(call.request.refreshToken).then(
        (tokens) => {
          call.sendMetadata(noStore);
          callback(null, create(RefreshCustomerTokenResponseSchema, tokens));
        },
        () => callback({ code: grpc.status.UNAVAILABLE, details: "Service Unavailable" }),
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    port,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
