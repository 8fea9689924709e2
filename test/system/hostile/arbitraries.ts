/**
 * fast-check generators for hostile input: bodies, content types, cookies, header values.
 * Everything here is well-formed enough for node:http and node:http2 to send; bytes no
 * client would send are built in raw-http1.test.ts.
 */
import fc from "fast-check";

const ascii = (from: number, to: number) =>
  fc.integer({ min: from, max: to }).map((code) => String.fromCharCode(code));

/** Printable ASCII: what node:http and node:http2 accept in a header value. */
export const headerValue = (maxLength = 64) => fc.string({ unit: ascii(0x20, 0x7e), maxLength });

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz";
/** An RFC 9110 token, lower case: a header name or method either protocol accepts. */
export const httpToken = (maxLength = 16) =>
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength });

const SHAPE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.=+/";
/** Looks like a token to the service (its shape check passes), so it reaches the fake. */
export const tokenLike = fc.string({
  unit: fc.constantFrom(...SHAPE_CHARS),
  minLength: 1,
  maxLength: 300,
});

export const HUGE_TOKEN = "A".repeat(100 * 1024);

/** A refresh_token value of every JSON type, of every length that matters. */
export const tokenValue: fc.Arbitrary<unknown> = fc.oneof(
  tokenLike,
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.constantFrom("", " ", "\t\r\n", "\u0000", "a\u0000b", "null", "\u2028", "\ufeff", "\ud800"),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.integer({ min: 8180, max: 8200 }).map((n) => "a".repeat(n)),
  fc.constant(HUGE_TOKEN),
);

const KEYS = [
  "refresh_token",
  "refreshToken",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "REFRESH_TOKEN",
  "refresh_token ",
];

/** A JSON object as text, so keys may repeat and `__proto__` stays an own key. */
export const objectText = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 10 })),
      fc.oneof(tokenValue, fc.dictionary(fc.constantFrom(...KEYS), tokenValue, { maxKeys: 3 })),
    ),
    { maxLength: 6 },
  )
  .map(
    (entries) =>
      `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? "null"}`).join(",")}}`,
  );

const INVALID_UTF8 = [
  [0xff],
  [0xfe],
  [0xc0, 0x80],
  [0xc3],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
];

/** Valid JSON text around a byte sequence that is not UTF-8. */
export const invalidUtf8Body = fc
  .tuple(
    fc.string({ maxLength: 20 }),
    fc.constantFrom(...INVALID_UTF8),
    fc.string({ maxLength: 20 }),
  )
  .map(([before, bad, after]) =>
    Buffer.concat([
      Buffer.from(`{"refresh_token":"${before}`),
      Buffer.from(bad),
      Buffer.from(`${after}"}`),
    ]),
  );

/** NUL bytes: raw (invalid inside JSON strings) and escaped (valid JSON, invalid token). */
export const nulBody = fc
  .tuple(
    tokenLike,
    fc.constantFrom("\u0000", "\\u0000"),
    fc.constantFrom("inside", "before", "after"),
  )
  .map(([token, nul, where]) =>
    where === "inside"
      ? `{"refresh_token":"${token.slice(0, 5)}${nul}${token.slice(5)}"}`
      : where === "before"
        ? `${nul}{"refresh_token":"${token}"}`
        : `{"refresh_token":"${token}"}${nul}`,
  )
  .map((text) => Buffer.from(text));

/** Nesting `depth` levels deep, in the shapes parsers trip over; `bytes` caps the size. */
export const deepJson = (maxDepth: number) =>
  fc
    .tuple(
      fc.integer({ min: 1000, max: maxDepth }),
      fc.constantFrom("array", "object", "in-token", "unbalanced", "in-unknown-key"),
    )
    .map(([depth, shape]) => {
      const arrays = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      switch (shape) {
        case "array":
          return arrays;
        case "object":
          return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
        case "in-token":
          return `{"refresh_token":${arrays}}`;
        case "in-unknown-key":
          return `{"x":${arrays},"refresh_token":"abc"}`;
        default:
          return `{"refresh_token":${"[".repeat(depth)}`;
      }
    })
    .map((text) => Buffer.from(text));

/** Any body at all: JSON values, objects, strings, bytes and the classics above. */
export const anyBody = (maxDepth: number) =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value) ?? "")),
    objectText.map((text) => Buffer.from(text)),
    fc.string({ maxLength: 200 }).map((text) => Buffer.from(text)),
    fc.string({ unit: "binary", maxLength: 200 }).map((text) => Buffer.from(text)),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    fc.constant(Buffer.alloc(0)),
    invalidUtf8Body,
    nulBody,
    deepJson(maxDepth),
  );

/** Content types a client might send, or garbage; undefined means no header. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/json;charset=latin1;x=y",
    'application/json; boundary="x"',
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/plain",
    "application/proto",
    "application/connect+json",
    "application/connect+proto",
    "application/grpc-web+proto",
    "application/grpc-web-text",
    "application/grpc",
    "*/*",
    "",
    ";",
  ),
  headerValue(40),
  fc.constant(undefined),
);

const cookieName = fc.oneof(
  fc.constantFrom("refresh_token", "refresh_token ", "REFRESH_TOKEN", "refreshToken", "__Host-x"),
  httpToken(12),
);

/** A Cookie header: many cookies, odd values, the refresh_token cookie with junk in it. */
export const cookieHeader = (maxBytes: number): fc.Arbitrary<string | undefined> =>
  fc
    .oneof(
      fc.constant(undefined),
      fc
        .array(fc.tuple(cookieName, fc.oneof(headerValue(30), tokenLike, fc.constant('"'))), {
          maxLength: 200,
        })
        .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join("; ")),
      fc
        .oneof(
          tokenLike,
          headerValue(100),
          fc.integer({ min: 8180, max: maxBytes - 20 }).map((n) => "a".repeat(n)),
        )
        .map((value) => `refresh_token=${value}`),
      headerValue(200),
    )
    .map((header) => (header === undefined ? undefined : header.slice(0, maxBytes)));
