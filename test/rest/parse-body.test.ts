import { describe, expect, it } from "vitest";
import { RefreshError } from "../../src/refresh/refresh-error.ts";
import { parseRestBody } from "../../src/rest/parse-body.ts";
import { restError } from "../../src/wire/error-table.ts";

const parse = (text: string) => parseRestBody(Buffer.from(text, "utf8"));

function badRequestOf(raw: Buffer): RefreshError {
  let caught: unknown;
  try {
    parseRestBody(raw);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(RefreshError);
  expect((caught as RefreshError).kind).toBe("bad_request");
  return caught as RefreshError;
}

describe("parseRestBody", () => {
  it.each(["", "   ", "\r\n\t"])("reads an empty or blank body (%j) as no token", (text) => {
    expect(parse(text)).toBeUndefined();
  });

  it.each([
    ["an empty object", "{}"],
    ["a null refresh_token", '{"refresh_token":null}'],
    ["a null refreshToken", '{"refreshToken":null}'],
    ["other fields only", '{"token":"abc","refresh":"def"}'],
  ])("reads %s as no token", (_, text) => {
    expect(parse(text)).toBeUndefined();
  });

  it("reads refresh_token", () => {
    expect(parse('{"refresh_token":"abc.def"}')).toBe("abc.def");
  });

  it("reads the refreshToken alias", () => {
    expect(parse('{"refreshToken":"abc.def"}')).toBe("abc.def");
  });

  it("prefers refresh_token over refreshToken", () => {
    expect(parse('{"refreshToken":"camel","refresh_token":"snake"}')).toBe("snake");
  });

  it("falls back to refreshToken when refresh_token is blank or null", () => {
    expect(parse('{"refresh_token":"  ","refreshToken":"camel"}')).toBe("camel");
    expect(parse('{"refresh_token":null,"refreshToken":"camel"}')).toBe("camel");
  });

  it("takes the last of duplicate keys, as JSON.parse does", () => {
    expect(parse('{"refresh_token":"first","refresh_token":"last"}')).toBe("last");
  });

  it("does not take a token from a __proto__ member", () => {
    expect(parse('{"__proto__":{"refresh_token":"x"}}')).toBeUndefined();
    expect(parse('{"__proto__":{"refreshToken":"x"}}')).toBeUndefined();
  });

  it.each([
    ["refresh_token", '{"refresh_token":42}'],
    ["refresh_token", '{"refresh_token":["abc"]}'],
    ["refresh_token", '{"refresh_token":{"value":"abc"}}'],
    ["refresh_token", '{"refresh_token":true}'],
    ["refreshToken", '{"refreshToken":7}'],
    ["refreshToken", '{"refresh_token":"abc","refreshToken":[]}'],
  ])("refuses a non-string %s as bad_request naming the field (%s)", (name, text) => {
    const error = badRequestOf(Buffer.from(text));
    expect(error.publicMessage).toBe(`${name} must be a string`);
  });

  it.each([
    ["not JSON", "refresh_token=abc", "Request body must be valid JSON"],
    ["truncated JSON", '{"refresh_token":"abc"', "Request body must be valid JSON"],
    ["a JSON array", '["abc"]', "Request body must be a JSON object"],
    ["a JSON string", '"abc"', "Request body must be a JSON object"],
    ["a JSON number", "42", "Request body must be a JSON object"],
    ["JSON null", "null", "Request body must be a JSON object"],
  ])("refuses %s as bad_request", (_, text, message) => {
    expect(badRequestOf(Buffer.from(text)).publicMessage).toBe(message);
  });

  it("refuses a body that is not valid UTF-8", () => {
    const raw = Buffer.concat([Buffer.from('{"refresh_token":"'), Buffer.from([0xc3, 0x28, 0xff])]);
    expect(badRequestOf(Buffer.concat([raw, Buffer.from('"}')])).publicMessage).toBe(
      "Request body must be UTF-8 encoded JSON",
    );
  });

  it("answers a parse failure with the documented 400 envelope and its own message", () => {
    const error = badRequestOf(Buffer.from('{"refresh_token":42}'));
    const response = restError(error);
    expect(response.status).toBe(400);
    expect(response.body).toBe(
      '{"status":"fail","message":"refresh_token must be a string","errorCode":"INVALID","data":{"errorName":"SignInApiError"}}',
    );
  });

  it("answers a missing token with the documented 400 body byte for byte", () => {
    const response = restError(new RefreshError("missing_token"));
    expect(response.status).toBe(400);
    expect(response.headers).toEqual({});
    expect(response.body).toBe(
      '{"status":"fail","message":"Refresh Token is Required","errorCode":"INVALID","data":{"errorName":"SignInApiError"}}',
    );
  });
});
