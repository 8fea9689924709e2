/**
 * Malformed HTTP/1.1 requests for raw-http1.test.ts: each part (method, target, version,
 * Host, header lines, size, body framing) is mostly well-formed and sometimes hostile.
 */
import fc from "fast-check";
import { anyBody, contentType, cookieHeader, headerValue, httpToken } from "./arbitraries.ts";
import { REST_PATH, RPC_PATH } from "./harness.ts";

/** Any byte but CR and LF, as a latin1 string: NUL, controls, obs-text all included. */
const lineByte = fc
  .integer({ min: 0, max: 255 })
  .filter((b) => b !== 0x0a && b !== 0x0d)
  .map((b) => String.fromCharCode(b));
const junk = (maxLength: number) => fc.string({ unit: lineByte, maxLength });

// Each part is mostly well-formed, so a case breaks one or two rules, not all of them, and
// many cases reach the routes; the weights say how often each part is hostile.
const method = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      "GET",
      "POST",
      "POST",
      "POST",
      "PUT",
      "DELETE",
      "PATCH",
      "OPTIONS",
      "HEAD",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "post",
      "P0ST",
      "GET GET",
      "",
      "PRI",
      "M-SEARCH",
      "SOURCE",
      "CONNECT",
      "TRACE",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ-_!#"),
      minLength: 1,
      maxLength: 12,
    }),
  },
  { weight: 1, arbitrary: junk(10) },
);

const target = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(REST_PATH, RPC_PATH, `${REST_PATH}?a=1&a=2`, "/healthz", "/"),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(REST_PATH, RPC_PATH), headerValue(60))
      .map(([path, query]) => `${path}?${encodeURI(query)}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "*",
      "http://x/auth/api/v1/refresh-token/customer",
      "/%",
      "/%zz",
      "/%00",
    ),
  },
  { weight: 1, arbitrary: junk(80).map((path) => `/${path.replaceAll(" ", "")}`) },
  { weight: 1, arbitrary: fc.nat(20_000).map((n) => `/${"a".repeat(n)}`) },
);

const version = fc.oneof(
  { weight: 12, arbitrary: fc.constant("HTTP/1.1") },
  {
    weight: 1,
    arbitrary: fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "http/1.1", "HTTP/1.1x", ""),
  },
);

const headerLine = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(httpToken(20), headerValue(60)).map(([name, value]) => `${name}: ${value}`),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(httpToken(20), junk(40)).map(([name, value]) => `${name}: ${value}`),
  },
  { weight: 1, arbitrary: fc.tuple(junk(20), junk(40)).map(([name, value]) => `${name}:${value}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      " folded: continuation",
      "no-colon-here",
      ": empty-name",
      "x-a : space-before-colon",
      "x\u0000: nul",
      "Expect: 100-continue",
      "Upgrade: websocket",
      "Connection: upgrade",
      "Connection: close",
    ),
  },
);

/** How the body is framed: honestly, chunked, or with framing headers that contradict. */
const framing = fc.oneof(
  { weight: 8, arbitrary: fc.constant("length") },
  { weight: 2, arbitrary: fc.constant("chunked") },
  { weight: 1, arbitrary: fc.constantFrom("both", "two-lengths", "bad-length", "none") },
);

function frame(kind: string, body: Buffer): { headers: string[]; payload: Buffer } {
  const length = `Content-Length: ${body.length}`;
  const chunked = Buffer.concat([
    Buffer.from(body.length > 0 ? `${body.length.toString(16)}\r\n` : ""),
    body,
    Buffer.from(body.length > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n"),
  ]);
  switch (kind) {
    case "chunked":
      return { headers: ["Transfer-Encoding: chunked"], payload: chunked };
    case "both":
      return { headers: [length, "Transfer-Encoding: chunked"], payload: chunked };
    case "two-lengths":
      return { headers: [length, `Content-Length: ${body.length + 1}`], payload: body };
    case "bad-length":
      return { headers: ["Content-Length: -1, 5"], payload: body };
    case "none":
      return { headers: [], payload: Buffer.alloc(0) };
    default:
      return { headers: [length], payload: body };
  }
}

export const malformedRequest = fc.record({
  method,
  target,
  version,
  host: fc.oneof(
    { weight: 8, arbitrary: fc.constant(["Host: x"]) },
    // Missing, doubled, empty or no authority (see crash-probes.test.ts for why these matter).
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        [],
        ["Host: x", "Host: y"],
        ["Host: x:1"],
        ["Host: "],
        ["Host: ["],
      ),
    },
  ),
  type: contentType,
  cookie: cookieHeader(12_000),
  lines: fc.array(headerLine, { maxLength: 4 }),
  pad: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.nat(40_000) },
    { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 16_500 }) },
  ),
  many: fc.oneof(
    { weight: 12, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constant(2500) },
  ),
  framing,
  body: anyBody(2000),
});

export type Malformed = typeof malformedRequest extends fc.Arbitrary<infer T> ? T : never;

/** The request as bytes on the wire: latin1, so every byte value goes out as it is. */
export function toBytes(req: Malformed): Buffer {
  const { headers, payload } = frame(req.framing, req.body);
  const lines = [
    `${req.method} ${req.target} ${req.version}`.trimEnd(),
    ...req.host,
    ...(req.type === undefined ? [] : [`Content-Type: ${req.type}`]),
    ...(req.cookie === undefined ? [] : [`Cookie: ${req.cookie}`]),
    ...req.lines,
    ...(req.pad > 0 ? [`X-Pad: ${"a".repeat(req.pad)}`] : []),
    ...Array.from({ length: req.many }, (_, i) => `X-H${i}: v`),
    ...headers,
  ];
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), payload]);
}
