/** What every server writes and reads, shared by the servers and the runner's checks. */
import { create, toBinary } from "@bufbuild/protobuf";
import { RefreshCustomerTokenResponseSchema } from "../../gen/worth/auth/v1/auth_service_pb.ts";
import { REFRESH_ROUTE } from "../../src/rest/paths.ts";

export interface Tokens {
  accessToken: string;
  idToken: string;
  expiresIn: number;
  tokenType: "Bearer";
}

/** The REST success body, byte for byte what the service writes. */
export function restBody(tokens: Tokens): string {
  return JSON.stringify({
    status: "success",
    message: "Success",
    data: {
      access_token: tokens.accessToken,
      id_token: tokens.idToken,
      expires_in: tokens.expiresIn,
      token_type: tokens.tokenType,
    },
  });
}

/** The REST success headers the service writes (token responses are never cached). */
export const REST_HEADERS = {
  "cache-control": "no-store",
  pragma: "no-cache",
  "content-type": "application/json; charset=utf-8",
} as const;

/** The gRPC response message, encoded. */
export function responseMessage(tokens: Tokens): Uint8Array {
  return toBinary(
    RefreshCustomerTokenResponseSchema,
    create(RefreshCustomerTokenResponseSchema, tokens),
  );
}

// The service's default BASE_PATH and the proto's google.api.http path.
export const REST_PATH = `/auth/api/v1${REFRESH_ROUTE}`;
export const RPC_PATH = "/worth.auth.v1.AuthService/RefreshCustomerToken";

/** The refresh token of a REST body, as the service reads it (snake or camel case). */
export function restToken(raw: string): string {
  const body = JSON.parse(raw) as { refresh_token?: unknown; refreshToken?: unknown };
  const value = body.refresh_token ?? body.refreshToken;
  if (typeof value !== "string" || value.trim() === "") {
    throw new Error("no refresh token");
  }
  return value;
}
