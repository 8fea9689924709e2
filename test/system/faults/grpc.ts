/**
 * gRPC for the fault tests, seen from outside: @grpc/grpc-js (an independent implementation)
 * with deadlines and trailers, its Health client, and a hand-made gRPC request over node:http2
 * with no client-side timer, to see what the server itself does with `grpc-timeout`.
 * Outcomes carry no token: a success says only whether the tokens look right.
 */
import { connect as http2Connect } from "node:http2";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { RefreshCustomerTokenRequestSchema } from "../../../gen/worth/auth/v1/auth_service_pb.ts";
import { isJwt, RPC_PATH } from "../../support/clients.ts";

export { status as GrpcStatus } from "@grpc/grpc-js";

export interface GrpcOutcome {
  code: grpc.status;
  details: string;
  /** The retry-after trailer, if any. */
  retryAfter: string | undefined;
  /** On success: both tokens are JWTs, expires_in, and whether a new refresh token came. */
  success?: { jwts: boolean; expiresIn: number; tokenType: string; rotated: boolean };
}

interface RefreshResponse {
  accessToken: string;
  idToken: string;
  expiresIn: number;
  tokenType: string;
  refreshToken: string;
}

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;
type Unary<T> = (req: unknown, options: grpc.CallOptions, callback: Callback<T>) => void;

const root = (dir: string) => fileURLToPath(new URL(`../../../${dir}`, import.meta.url));

function load<T>(file: string, includeDirs: string[], path: string[]): T {
  const definition = loadSync(file, { includeDirs, defaults: true, enums: String });
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const key of path) node = (node as Record<string, unknown>)[key];
  return node as T;
}

function unary<T>(client: grpc.Client, method: string): Unary<T> {
  const fn = (client as unknown as Record<string, Unary<T>>)[method];
  if (!fn) throw new Error(`no method ${method}`);
  return fn.bind(client);
}

export interface GrpcFaultClient {
  /** One refresh; `deadlineMs` sets a grpc-js deadline that far from now. */
  refresh(refreshToken: string, deadlineMs?: number): Promise<GrpcOutcome>;
  /** grpc.health.v1 Check for the whole server (""): "SERVING", "NOT_SERVING", ... */
  health(): Promise<string>;
  close(): void;
}

export function grpcFaultClient(port: number): GrpcFaultClient {
  const address = `127.0.0.1:${port}`;
  const insecure = grpc.credentials.createInsecure();
  const Auth = load<grpc.ServiceClientConstructor>(
    "worth/auth/v1/auth_service.proto",
    [root("proto"), root("node_modules/google-proto-files")],
    ["worth", "auth", "v1", "AuthService"],
  );
  const Health = load<grpc.ServiceClientConstructor>(
    "health/v1/health.proto",
    [root("node_modules/grpc-health-check/proto")],
    ["grpc", "health", "v1", "Health"],
  );
  const auth = new Auth(address, insecure);
  const health = new Health(address, insecure);
  const call = unary<RefreshResponse>(auth, "RefreshCustomerToken");
  const check = unary<{ status: string }>(health, "Check");
  return {
    refresh: (refreshToken, deadlineMs) =>
      new Promise((resolve) => {
        const options = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
        call({ refreshToken }, options, (error, res) => {
          if (error || !res) {
            const value = error?.metadata?.get("retry-after")[0];
            resolve({
              code: error?.code ?? grpc.status.UNKNOWN,
              details: error?.details ?? "",
              retryAfter: value === undefined ? undefined : String(value),
            });
            return;
          }
          const success = {
            jwts: isJwt(res.accessToken) && isJwt(res.idToken),
            expiresIn: res.expiresIn,
            tokenType: res.tokenType,
            rotated: res.refreshToken !== "" && res.refreshToken !== refreshToken,
          };
          resolve({ code: grpc.status.OK, details: "", retryAfter: undefined, success });
        });
      }),
    health: () =>
      new Promise((resolve, reject) => {
        check({ service: "" }, {}, (error, res) =>
          error || !res ? reject(error) : resolve(res.status),
        );
      }),
    close: () => {
      auth.close();
      health.close();
    },
  };
}

/**
 * A gRPC refresh over node:http2 carrying `grpc-timeout`, with no timer of its own: whatever
 * ends it is the server. Resolves with the grpc-status the server sent (trailers or headers).
 */
export function rawGrpcRefresh(
  baseUrl: string,
  refreshToken: string,
  grpcTimeout: string,
): Promise<{ grpcStatus: number; message: string }> {
  const message = toBinary(
    RefreshCustomerTokenRequestSchema,
    create(RefreshCustomerTokenRequestSchema, { refreshToken }),
  );
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  const session = http2Connect(baseUrl);
  return new Promise<{ grpcStatus: number; message: string }>((resolve, reject) => {
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": RPC_PATH,
      "content-type": "application/grpc+proto",
      te: "trailers",
      "grpc-timeout": grpcTimeout,
    });
    let status: string | undefined;
    let text = "";
    const take = (headers: Record<string, unknown>) => {
      if (headers["grpc-status"] !== undefined) {
        status = String(headers["grpc-status"]);
        text = decodeURIComponent(String(headers["grpc-message"] ?? ""));
      }
    };
    stream.on("response", take);
    stream.on("trailers", take);
    stream.resume();
    stream.on("close", () =>
      status === undefined
        ? reject(new Error("the stream closed without a grpc-status"))
        : resolve({ grpcStatus: Number(status), message: text }),
    );
    stream.on("error", reject);
    stream.end(frame);
  }).finally(() => session.close());
}
