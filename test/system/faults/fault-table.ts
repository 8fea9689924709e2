/**
 * The rows of the fault matrix (the table itself is drawn at the top of fault-matrix.test.ts):
 * what each fault is scripted as, and what REST and gRPC must answer for it.
 */
import { PROVIDER_TEXT } from "../../support/clients.ts";
import { FAKE_ERRORS, type FakeCognito, type Step } from "../../support/fake-cognito/index.ts";
import { GrpcStatus } from "./grpc.ts";
import { BODY } from "./harness.ts";

export interface FaultRow {
  fault: string;
  /** Steps queued for this row's calls, then the step for every call after them. */
  script: { queue?: Step[]; always?: Step };
  /** The JWKS fails (reset) from before the service starts. */
  jwksDown?: boolean;
  rest: 200 | 401 | 403 | 500 | 503;
  rpc: GrpcStatus;
  body: "success" | "rotated" | keyof typeof BODY;
  calls: number;
  retryAfter: boolean;
  /** UPSTREAM_TIMEOUT_MS for the row (1500 unless set). */
  budgetMs?: number;
  /** UPSTREAM_ATTEMPT_TIMEOUT_MS for the row (400 unless set). */
  attemptMs?: number;
  /** The fault is a wait: the answer cannot come sooner. */
  atLeastMs?: number;
}

const S = GrpcStatus;
const refused = (step: Step, rest: 401 | 403 | 500, rpc: GrpcStatus) =>
  ({
    script: { always: step },
    rest,
    rpc,
    body: rest === 401 ? "unauthorized" : rest === 403 ? "forbidden" : "internal",
    calls: 1,
    retryAfter: false,
  }) as const;
const down = (script: FaultRow["script"], calls: number) =>
  ({
    script,
    rest: 503,
    rpc: S.UNAVAILABLE,
    body: "unavailable",
    calls,
    retryAfter: true,
  }) as const;
const ok = { rest: 200, rpc: S.OK, body: "success", retryAfter: false } as const;
const SECRET_MISMATCH: Step = {
  error: "NotAuthorizedException",
  message: "Unable to verify secret hash for client abc",
};

export const MATRIX: readonly FaultRow[] = [
  { fault: "success", script: { always: "normal" }, calls: 1, ...ok },
  {
    fault: "success with rotation",
    script: { always: "rotate" },
    calls: 1,
    ...ok,
    body: "rotated",
  },
  { fault: "RefreshTokenReuseException", ...refused("reuse", 401, S.UNAUTHENTICATED) },
  { fault: "NotAuthorized: invalid token", ...refused("invalid", 401, S.UNAUTHENTICATED) },
  { fault: "NotAuthorized: expired token", ...refused("expired", 401, S.UNAUTHENTICATED) },
  { fault: "NotAuthorized: revoked token", ...refused("revoked", 401, S.UNAUTHENTICATED) },
  { fault: 'NotAuthorized: "User is disabled."', ...refused("disabled", 403, S.PERMISSION_DENIED) },
  { fault: "NotAuthorized: secret hash mismatch", ...refused(SECRET_MISMATCH, 500, S.INTERNAL) },
  { fault: "UserNotFoundException", ...refused("user-not-found", 401, S.UNAUTHENTICATED) },
  {
    fault: "PasswordResetRequiredException",
    ...refused("password-reset", 403, S.PERMISSION_DENIED),
  },
  { fault: "UserNotConfirmedException", ...refused("unconfirmed", 403, S.PERMISSION_DENIED) },
  { fault: "TooManyRequestsException", ...down({ always: "throttle" }, 3), budgetMs: 4000 },
  { fault: "InternalErrorException", ...down({ always: "internal-error" }, 3) },
  { fault: "ResourceNotFoundException", ...refused("resource-not-found", 500, S.INTERNAL) },
  { fault: "5xx HTML page", ...down({ always: "html-503" }, 3) },
  { fault: "malformed JSON", ...down({ always: "malformed-json" }, 1) },
  {
    // A slow reply inside the attempt timeout is not retried. 200 ms under the usual 400 was
    // too close: a GC pause in the test process (rigs, fakes and clients share it) crossed it
    // on a loaded CI machine and the row counted a retry the fault did not cause.
    fault: "reply after 200 ms",
    script: { always: { delayMs: 200 } },
    calls: 1,
    ...ok,
    atLeastMs: 200,
    attemptMs: 1000,
  },
  {
    fault: "first reply after 600 ms, then a prompt one",
    script: { queue: [{ delayMs: 600 }], always: "normal" },
    calls: 2,
    ...ok,
    atLeastMs: 400,
  },
  { fault: "every reply after 600 ms", ...down({ always: { delayMs: 600 } }, 3), atLeastMs: 1200 },
  { fault: "connection reset", ...down({ always: "reset" }, 3) },
  { fault: "no reply at all", ...down({ always: "hang" }, 3), atLeastMs: 1200 },
  { fault: "JWKS unreachable at start", ...down({ always: "normal" }, 1), jwksDown: true },
];

export const RPC_MESSAGE: Record<string, string> = Object.fromEntries(
  Object.entries(BODY).map(([kind, body]) => [kind, JSON.parse(body).message as string]),
);

/** Everything the provider says in this row, none of which may reach a client. */
export function providerWords(row: FaultRow): RegExp[] {
  const steps = [...(row.script.queue ?? []), row.script.always];
  const words = steps.flatMap((step) => {
    if (typeof step === "string" && Object.hasOwn(FAKE_ERRORS, step)) {
      return [FAKE_ERRORS[step as keyof typeof FAKE_ERRORS].message];
    }
    return typeof step === "object" && "error" in step ? [step.message ?? step.error] : [];
  });
  return [
    PROVIDER_TEXT,
    /Exception|<html|secret/i,
    ...words.map((w) => new RegExp(w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i")),
  ];
}

export function arrange(fake: FakeCognito, row: FaultRow): void {
  if (row.jwksDown) fake.scriptJwksAlways("reset");
  if (row.script.queue) fake.script(...row.script.queue);
  fake.scriptAlways(row.script.always);
}

/** A row of the sign-out matrix (drawn at the top of revoke-matrix.test.ts). */
export interface RevokeRow {
  fault: string;
  always: Step;
  /** Revoke a token the fake never issued. */
  unknown?: boolean;
  rest: 200 | 500 | 503;
  rpc: GrpcStatus;
  calls: number;
  budgetMs?: number;
  atLeastMs?: number;
  /** The `reason` the warning line must carry. */
  reason?: string;
}

export const REVOKE_MATRIX: readonly RevokeRow[] = [
  { fault: "success", always: "normal", rest: 200, rpc: S.OK, calls: 1 },
  { fault: "unknown token", always: "normal", unknown: true, rest: 200, rpc: S.OK, calls: 1 },
  {
    fault: "UnsupportedTokenTypeException",
    always: { error: "UnsupportedTokenTypeException", message: "Unsupported token type" },
    rest: 200,
    rpc: S.OK,
    calls: 1,
  },
  {
    fault: "throttled",
    always: "throttle",
    rest: 503,
    rpc: S.UNAVAILABLE,
    calls: 3,
    budgetMs: 4000,
  },
  {
    fault: "InternalErrorException",
    always: "internal-error",
    rest: 503,
    rpc: S.UNAVAILABLE,
    calls: 3,
  },
  {
    fault: "revocation disabled",
    always: "revocation-disabled",
    rest: 500,
    rpc: S.INTERNAL,
    calls: 1,
    reason: "token revocation is not enabled for the app client",
  },
  {
    fault: "secret mismatch",
    always: {
      error: "NotAuthorizedException",
      message: "Unable to verify secret hash for client abc",
    },
    rest: 500,
    rpc: S.INTERNAL,
    calls: 1,
  },
  { fault: "timeout", always: "hang", rest: 503, rpc: S.UNAVAILABLE, calls: 3, atLeastMs: 1200 },
];
