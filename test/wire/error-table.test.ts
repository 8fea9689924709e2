// The REST error bodies the error table writes ahead of any request: the documented ones,
// byte for byte, with fresh headers for every answer.
import { describe, expect, it } from "vitest";
import { RefreshError, type RefreshErrorKind } from "../../src/refresh/refresh-error.ts";
import { restError, restRoutingError } from "../../src/wire/error-table.ts";

describe("error bodies written ahead", () => {
  const flat = (message: string, errorCode: string) => JSON.stringify({ message, errorCode });
  const signIn = (message: string) =>
    JSON.stringify({
      status: "fail",
      message,
      errorCode: "INVALID",
      data: { errorName: "SignInApiError" },
    });
  const documented: [RefreshErrorKind, string][] = [
    ["missing_token", signIn("Refresh Token is Required")],
    ["bad_request", signIn("Bad Request")],
    ["unauthorized", flat("Unauthorized", "ERR_UNAUTHORIZED")],
    ["forbidden", flat("Forbidden", "ERR_FORBIDDEN")],
    ["payload_too_large", flat("Payload Too Large", "ERR_PAYLOAD_TOO_LARGE")],
    ["rate_limited", flat("Too Many Requests", "ERR_TOO_MANY_REQUESTS")],
    ["unavailable", flat("Service Unavailable", "ERR_SERVICE_UNAVAILABLE")],
    ["internal", flat("Internal Server Error", "ERR_INTERNAL_SERVER")],
  ];

  it.each(documented)("are the documented body for %s", (kind, body) => {
    expect(restError(new RefreshError(kind)).body).toBe(body);
  });

  it("carry a public message when there is one, and fresh headers each time", () => {
    const error = new RefreshError("bad_request", { publicMessage: "Invalid Host header" });
    expect(JSON.parse(restError(error).body)).toMatchObject({ message: "Invalid Host header" });
    const limited = new RefreshError("rate_limited", { retryAfterSeconds: 3 });
    const first = restError(limited);
    first.headers.extra = "x";
    expect(restError(limited).headers).toEqual({ "retry-after": "3" });
    expect(restRoutingError("not_found").body).toBe(
      '{"message":"Not Found","errorCode":"ERR_NOT_FOUND"}',
    );
  });
});
