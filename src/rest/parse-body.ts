import { RefreshError } from "../refresh/refresh-error.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function badRequest(publicMessage: string): RefreshError {
  return new RefreshError("bad_request", { publicMessage });
}

function field(body: Record<string, unknown>, name: string): string | undefined {
  if (!Object.hasOwn(body, name)) {
    return undefined;
  }
  const value = body[name];
  if (value === null || value === undefined) {
    return undefined;
  }
  if (typeof value !== "string") {
    throw badRequest(`${name} must be a string`);
  }
  return value;
}

/**
 * The token a REST body carries, if any. An empty body is allowed (the token
 * may come in the cookie); anything else must be a JSON object whose
 * `refresh_token` (or the alias `refreshToken`) is a string when present.
 */
export function parseRestBody(raw: Buffer): string | undefined {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw badRequest("Request body must be UTF-8 encoded JSON");
  }
  if (text.trim() === "") {
    return undefined;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest("Request body must be valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("Request body must be a JSON object");
  }
  const record = body as Record<string, unknown>;
  const snake = field(record, "refresh_token");
  const camel = field(record, "refreshToken");
  return snake?.trim() ? snake : camel;
}
