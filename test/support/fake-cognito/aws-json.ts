/**
 * The wire format of Cognito's AWS JSON 1.1 protocol: what the SDK sends and what it expects
 * back. Errors carry the name in both `x-amzn-errortype` and `__type`, as Cognito sends them;
 * the SDK reads `__type` first and maps it to its own exception classes.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CognitoErrorReply } from "./steps.ts";

export const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";
export const CONTENT_TYPE = "application/x-amz-json-1.1";

const MAX_BODY_BYTES = 1_048_576;
// Cognito appends its model namespace to the header; the SDK strips everything after ":".
const ERROR_NAMESPACE =
  "http://internal.amazon.com/coral/com.amazonaws.cognito.identity.idp.model/";

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string) {
  if (res.headersSent || res.destroyed) {
    return;
  }
  res.writeHead(status, {
    ...headers,
    "content-length": String(Buffer.byteLength(body)),
    "x-amzn-requestid": randomUUID(),
    date: new Date().toUTCString(),
  });
  res.end(body);
}

export function sendResult(res: ServerResponse, output: unknown): void {
  send(res, 200, { "content-type": CONTENT_TYPE }, JSON.stringify(output));
}

export function sendError(res: ServerResponse, error: CognitoErrorReply): void {
  const body = JSON.stringify({ __type: error.name, message: error.message });
  send(
    res,
    error.status,
    { "content-type": CONTENT_TYPE, "x-amzn-errortype": `${error.name}:${ERROR_NAMESPACE}` },
    body,
  );
}

/** What a load balancer in front of Cognito answers when the service behind it is down. */
export function sendHtml(res: ServerResponse, status: number): void {
  const body = `<html><head><title>${status}</title></head><body><h1>${status}</h1></body></html>`;
  send(res, status, { "content-type": "text/html" }, body);
}

/** A 200 whose body stops mid-string: the SDK must fail to parse it. */
export function sendMalformedJson(res: ServerResponse): void {
  send(res, 200, { "content-type": CONTENT_TYPE }, '{"AuthenticationResult":{"AccessToken":"eyJ');
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy(new Error("request body too large for the fake"));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
    req.on("close", () => reject(new Error("request closed before its body ended")));
  });
}

/** The JSON object the SDK sent, or undefined when the body is not a JSON object. */
export function parseInput(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body === "" ? "{}" : body);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
