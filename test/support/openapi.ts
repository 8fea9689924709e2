/**
 * Checks a REST response as seen on the wire against src/rest/openapi.json,
 * so a body, status or header that drifts from the published contract fails a test.
 */
import { readFileSync } from "node:fs";
import type { ValidateFunction } from "ajv/dist/2020.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

type JsonObject = { [key: string]: unknown };

export const openApiDocument: JsonObject = JSON.parse(
  readFileSync(new URL("../../src/rest/openapi.json", import.meta.url), "utf8"),
);

// ajv-formats is CommonJS; under Node's ESM interop the default import is the module object.
const addFormats = addFormatsModule.default;

// The document is registered whole so that `$ref`s inside a schema resolve against it.
const DOC_ID = "https://openapi.invalid/openapi.json";
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
// OpenAPI 3.1's schema dialect adds these annotations to JSON Schema 2020-12.
ajv.addVocabulary(["example", "discriminator", "xml", "externalDocs"]);
// Ajv compiles the registered root before any fragment of it, and in strict mode the
// document's top-level fields would read as unknown keywords; they annotate nothing.
ajv.addVocabulary(["openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks"]);
ajv.addVocabulary(["components", "security", "tags"]);
ajv.addSchema({ ...openApiDocument, $id: DOC_ID });

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const validators = new Map<string, ValidateFunction>();

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** The value at a JSON pointer ("#/a/b") in the document, or undefined. */
export function resolvePointer(pointer: string): unknown {
  if (!pointer.startsWith("#")) {
    return undefined;
  }
  let node: unknown = openApiDocument;
  for (const raw of pointer.slice(1).split("/").slice(1)) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    node = isObject(node) || Array.isArray(node) ? (node as JsonObject)[segment] : undefined;
  }
  return node;
}

/** Follows OpenAPI `$ref`s (responses, headers, ...) and says where the target lives. */
function deref(node: unknown, pointer: string): { node: JsonObject; pointer: string } {
  let current = node;
  let at = pointer;
  for (let hops = 0; isObject(current) && typeof current.$ref === "string"; hops++) {
    if (hops > 10) {
      throw new Error(`$ref loop at ${at}`);
    }
    at = current.$ref;
    current = resolvePointer(at);
  }
  if (!isObject(current)) {
    throw new Error(`${at} does not resolve to an object`);
  }
  return { node: current, pointer: at };
}

/** A compiled validator for the schema at a JSON pointer in the document (cached). */
export function schemaAt(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.getSchema(`${DOC_ID}${pointer}`);
    if (!validate) {
      throw new Error(`no schema at ${pointer}`);
    }
    validators.set(pointer, validate);
  }
  return validate;
}

// Tokens must never reach a test log: any long string is replaced by its length.
function redact(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    typeof v === "string" && v.length > 40 ? `<redacted ${v.length} chars>` : v,
  );
}

// Belt and braces for text that never went through redact(), such as a non-JSON body.
function scrub(text: string): string {
  return text.replace(/[A-Za-z0-9_\-.=+]{41,}/g, (run) => `<redacted ${run.length} chars>`);
}

function serverPrefixes(servers: unknown): string[] {
  if (!Array.isArray(servers)) {
    return [];
  }
  return servers.map((server) => {
    const url = String((server as JsonObject).url);
    const path = /^[a-z]+:/i.test(url) ? new URL(url).pathname : url;
    return path.replace(/\/+$/, "");
  });
}

/** The path item whose effective server prefix plus key equals the requested path. */
function findPath(wirePath: string): { key: string; item: JsonObject } | undefined {
  const path = wirePath.split("?")[0] ?? "";
  const paths = openApiDocument.paths as JsonObject;
  for (const [key, item] of Object.entries(paths)) {
    if (!isObject(item)) {
      continue;
    }
    // Path-level servers override the document's (used by /healthz and /readyz).
    const prefixes = serverPrefixes(item.servers ?? openApiDocument.servers);
    if (prefixes.some((prefix) => prefix + key === path)) {
      return { key, item };
    }
  }
  return undefined;
}

function headerValues(headers: RestResponse["headers"], name: string): string[] {
  if (headers instanceof Headers) {
    if (name === "set-cookie") {
      return headers.getSetCookie();
    }
    const value = headers.get(name);
    return value === null ? [] : [value];
  }
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  const value = entry?.[1];
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function ajvProblems(validate: ValidateFunction, where: string): string[] {
  return (validate.errors ?? []).map(
    (e) => `${where}${e.instancePath} ${e.message} ${redact(e.params)}`,
  );
}

/** Body keys must come in the order the schema declares them: clients diff raw bodies. */
function keyOrderProblems(schema: unknown, data: unknown, where: string): string[] {
  const resolved = isObject(schema) && typeof schema.$ref === "string" ? deref(schema, "") : null;
  const node = resolved ? resolved.node : schema;
  if (!isObject(node) || !isObject(node.properties) || !isObject(data)) {
    return [];
  }
  const declared = Object.keys(node.properties);
  const present = Object.keys(data).filter((key) => declared.includes(key));
  const expected = [...present].sort((a, b) => declared.indexOf(a) - declared.indexOf(b));
  const problems =
    present.join() === expected.join()
      ? []
      : [`${where} keys are in order ${present.join(",")}, expected ${expected.join(",")}`];
  for (const key of present) {
    problems.push(...keyOrderProblems(node.properties[key], data[key], `${where}/${key}`));
  }
  return problems;
}

export interface RestResponse {
  method: string;
  /** The path as requested on the wire, e.g. /auth/api/v1/refresh-token/customer. */
  path: string;
  status: number;
  headers: Headers | Readonly<Record<string, string | readonly string[] | number | undefined>>;
  body: string | Uint8Array | undefined;
}

/** Throws when the response is not one the document allows; returns the parsed body. */
export function validateRestResponse(response: RestResponse): unknown {
  const method = response.method.toLowerCase();
  const label = `${response.method.toUpperCase()} ${response.path} -> ${response.status}`;
  const fail = (problems: string[]): never => {
    throw new Error(
      scrub(`${label} does not match the OpenAPI document:\n  - ${problems.join("\n  - ")}`),
    );
  };

  const found = findPath(response.path);
  if (!found) {
    return fail(["no documented path matches"]);
  }
  const pathPointer = `#/paths/${escapePointer(found.key)}`;
  let opMethod = METHODS.includes(method) && isObject(found.item[method]) ? method : undefined;
  // A method the path does not declare may only get the 405 one of its operations documents.
  if (!opMethod && response.status === 405) {
    opMethod = METHODS.find(
      (m) =>
        isObject((found.item[m] as JsonObject | undefined)?.responses) &&
        "405" in ((found.item[m] as JsonObject).responses as JsonObject),
    );
  }
  if (!opMethod) {
    return fail([`method ${response.method} is not documented on ${found.key}`]);
  }
  const responses = (found.item[opMethod] as JsonObject).responses as JsonObject;
  const responsesPointer = `${pathPointer}/${opMethod}/responses`;
  const statusKey = [
    String(response.status),
    `${Math.floor(response.status / 100)}XX`,
    "default",
  ].find((key) => key in responses);
  if (!statusKey) {
    return fail([
      `status ${response.status} is not documented (documented: ${Object.keys(responses).join(", ")})`,
    ]);
  }
  const { node: doc, pointer } = deref(responses[statusKey], `${responsesPointer}/${statusKey}`);
  const problems: string[] = [];

  for (const [name, raw] of Object.entries(isObject(doc.headers) ? doc.headers : {})) {
    const header = deref(raw, `${pointer}/headers/${escapePointer(name)}`);
    const values = headerValues(response.headers, name.toLowerCase());
    if (values.length === 0 && header.node.required === true) {
      problems.push(`header ${name} is missing`);
    }
    if (!isObject(header.node.schema)) {
      continue;
    }
    const validate = schemaAt(`${header.pointer}/schema`);
    const numeric = ["integer", "number"].includes(String(header.node.schema.type));
    for (const value of values) {
      // Header values are text on the wire; numeric schemas describe the number they spell.
      const typed = numeric && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
      if (!validate(typed)) {
        problems.push(...ajvProblems(validate, `header ${name}`));
      }
    }
  }

  const text =
    typeof response.body === "string"
      ? response.body
      : response.body === undefined
        ? ""
        : new TextDecoder("utf-8", { fatal: true }).decode(response.body);
  const content = isObject(doc.content) ? doc.content : undefined;
  if (!content) {
    if (text !== "") {
      problems.push("body must be empty");
    }
    return problems.length > 0 ? fail(problems) : undefined;
  }

  const contentType = headerValues(response.headers, "content-type")[0] ?? "";
  const [mediaType = "", ...params] = contentType
    .split(";")
    .map((part) => part.trim().toLowerCase());
  const paramsOk = params.every((param) => param === "charset=utf-8");
  if (mediaType !== "application/json" || !paramsOk || !("application/json" in content)) {
    return fail([...problems, `Content-Type is "${contentType}", expected application/json`]);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail([...problems, `body is not JSON: ${text.slice(0, 200)}`]);
  }
  const schemaPointer = `${pointer}/content/application~1json/schema`;
  const validate = schemaAt(schemaPointer);
  if (!validate(body)) {
    problems.push(...ajvProblems(validate, "body"));
  }
  problems.push(...keyOrderProblems(resolvePointer(schemaPointer), body, "body"));
  if (problems.length > 0) {
    problems.push(`body was ${redact(body)}`);
    return fail(problems);
  }
  return body;
}
