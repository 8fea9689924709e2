/**
 * The OpenAPI document describes the REST face of the proto: its paths are the proto's
 * google.api.http rules, its request fields the request messages' fields, and the refresh
 * answer's `data` the response message's fields. A field added to the proto and not to the
 * document (or the other way round) fails here.
 */
import { readFileSync } from "node:fs";
import { type DescMessage, getOption } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { http } from "../../gen/google/api/annotations_pb.ts";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";

// Only read here, and each step may be missing: an any-typed tree walked with `?.`.
type Json = { readonly [key: string]: Json };
const { paths } = JSON.parse(
  readFileSync(new URL("../../src/rest/openapi.json", import.meta.url), "utf8"),
) as { paths: Json };

const routes = AuthService.methods.map((method) => {
  const rule = getOption(method, http);
  return { method, path: rule.pattern.case === "post" ? rule.pattern.value : undefined };
});

const fieldNames = (message: DescMessage) => message.fields.map((field) => field.name).sort();

describe("the OpenAPI document against the proto", () => {
  it("has a POST path for each method's google.api.http rule, and no other POST", () => {
    const declared = routes.map(({ path }) => path);
    expect(declared).not.toContain(undefined);
    const documented = Object.keys(paths).filter((path) => paths[path]?.post !== undefined);
    expect(documented.sort()).toEqual([...declared].sort());
    for (const { method, path } of routes) {
      const operation = paths[path as string]?.post;
      expect(operation?.operationId).toBe(method.localName);
    }
  });

  it("takes each request message's fields, by their proto and JSON names", () => {
    for (const { method, path } of routes) {
      const schema =
        paths[path as string]?.post?.requestBody?.content?.["application/json"]?.schema;
      const documented = Object.keys(schema?.properties ?? {}).sort();
      const names = method.input.fields.flatMap((field) => [field.name, field.jsonName]);
      expect(documented).toEqual([...new Set(names)].sort());
    }
  });

  it("answers a refresh with the response message's fields inside the envelope's data", () => {
    const refresh = routes.find(({ method }) => method.name === "RefreshCustomerToken");
    const schema =
      paths[refresh?.path as string]?.post?.responses?.["200"]?.content?.["application/json"]
        ?.schema;
    expect(Object.keys(schema?.properties ?? {}).sort()).toEqual(["data", "message", "status"]);
    const data = Object.keys(schema?.properties?.data?.properties ?? {}).sort();
    expect(data).toEqual(fieldNames(AuthService.method.refreshCustomerToken.output));
  });

  it("answers a revocation with the envelope alone, as the empty response message", () => {
    const revoke = routes.find(({ method }) => method.name === "RevokeCustomerToken");
    const schema =
      paths[revoke?.path as string]?.post?.responses?.["200"]?.content?.["application/json"]
        ?.schema;
    expect(Object.keys(schema?.properties ?? {}).sort()).toEqual(["message", "status"]);
    expect(fieldNames(AuthService.method.revokeCustomerToken.output)).toEqual([]);
  });
});
