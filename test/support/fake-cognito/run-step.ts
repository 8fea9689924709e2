/**
 * Carries out one scripted step on a request whose body has been read. Held and delayed
 * requests are tracked so reset() and close() can drop them instead of waiting.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendError, sendHtml, sendMalformedJson, sendResult } from "./aws-json.ts";
import {
  getTokensFromRefreshToken,
  initiateAuth,
  type Operation,
  type OperationContext,
  type Outcome,
  revokeToken,
  succeed,
} from "./operations.ts";
import type { PublicJwk } from "./signing.ts";
import { errorOf, type JwksStep, type Step } from "./steps.ts";

export interface StepRuntime {
  /** Responses held ("hang") or waiting out a delay. */
  inFlight: Set<ServerResponse>;
  timers: Set<NodeJS.Timeout>;
}

export interface RefreshRequest {
  req: IncomingMessage;
  res: ServerResponse;
  operation: Operation;
  input: Record<string, unknown>;
}

function hold(runtime: StepRuntime, res: ServerResponse): void {
  runtime.inFlight.add(res);
  res.on("close", () => runtime.inFlight.delete(res));
}

function sleep(runtime: StepRuntime, res: ServerResponse, ms: number): Promise<void> {
  hold(runtime, res);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      runtime.timers.delete(timer);
      runtime.inFlight.delete(res);
      resolve();
    }, ms);
    runtime.timers.add(timer);
    // Dropped by reset()/close(): the socket is gone, so nothing is left to answer.
    res.on("close", () => {
      clearTimeout(timer);
      runtime.timers.delete(timer);
    });
  });
}

/** "reset" and "hang" mean the same for both kinds of request. */
function socketStep(
  runtime: StepRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  step: unknown,
) {
  if (step === "reset") {
    req.socket.destroy();
    return true;
  }
  if (step === "hang") {
    hold(runtime, res);
    return true;
  }
  return false;
}

function tokenOf(input: Record<string, unknown>): string {
  const params = input.AuthParameters as Record<string, unknown> | undefined;
  const token = input.RefreshToken ?? input.Token ?? params?.REFRESH_TOKEN;
  return typeof token === "string" ? token : "";
}

const NORMAL = {
  GetTokensFromRefreshToken: getTokensFromRefreshToken,
  InitiateAuth: initiateAuth,
  RevokeToken: revokeToken,
} satisfies Record<Operation, unknown>;

function answer(res: ServerResponse, outcome: Outcome): void {
  if ("output" in outcome) sendResult(res, outcome.output);
  else sendError(res, outcome.error);
}

export async function runStep(
  runtime: StepRuntime,
  context: OperationContext,
  request: RefreshRequest,
  step: Step = "normal",
): Promise<void> {
  const { req, res, operation, input } = request;
  if (typeof step === "object" && "delayMs" in step) {
    await sleep(runtime, res, step.delayMs);
    if (!res.destroyed) {
      await runStep(runtime, context, request, step.then ?? "normal");
    }
    return;
  }
  if (socketStep(runtime, req, res, step)) {
    return;
  }
  const error = errorOf(step);
  if (error) {
    return sendError(res, error);
  }
  if (typeof step === "object" && "html" in step) {
    return sendHtml(res, step.html);
  }
  switch (step) {
    case "html-503":
      return sendHtml(res, 503);
    case "malformed-json":
      return sendMalformedJson(res);
    case "rotate":
    case "no-rotate": {
      if (operation === "RevokeToken") return answer(res, revokeToken(context, input));
      const extra = operation === "InitiateAuth" ? { ChallengeParameters: {} } : {};
      return answer(res, succeed(context, tokenOf(input), step === "rotate", extra));
    }
    default:
      return answer(res, NORMAL[operation](context, input));
  }
}

export async function runJwksStep(
  runtime: StepRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  step: JwksStep,
  jwks: { keys: PublicJwk[] },
): Promise<void> {
  if (typeof step === "object") {
    await sleep(runtime, res, step.delayMs);
    if (!res.destroyed) {
      await runJwksStep(runtime, req, res, step.then ?? "normal", jwks);
    }
    return;
  }
  if (socketStep(runtime, req, res, step)) {
    return;
  }
  if (step === "500") {
    return sendHtml(res, 500);
  }
  const body = JSON.stringify(jwks);
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}
