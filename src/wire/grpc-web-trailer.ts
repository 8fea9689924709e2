/**
 * gRPC-Web carries its trailers as the body's last frame: flag 0x80, a 4-byte length, then
 * HTTP/1-style header lines. One reader and one writer of that frame for the service.
 */
const TRAILER_FLAG = 0x80;

/** The trailer frame that ends `body`, as its offset and headers; undefined if none. */
export function readTrailer(body: Uint8Array): { offset: number; trailer: Headers } | undefined {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const end = offset + 5 + bytes.readUInt32BE(offset + 1);
    if (bytes[offset] === TRAILER_FLAG && end === bytes.length) {
      const trailer = new Headers();
      for (const line of bytes
        .subarray(offset + 5, end)
        .toString("latin1")
        .split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) trailer.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      return { offset, trailer };
    }
    offset = end;
  }
  return undefined;
}

/** A trailer frame holding `trailer`. */
export function writeTrailer(trailer: Headers): Buffer {
  const text = [...trailer].map(([name, value]) => `${name}: ${value}\r\n`).join("");
  const frame = Buffer.alloc(5);
  frame[0] = TRAILER_FLAG;
  frame.writeUInt32BE(Buffer.byteLength(text, "latin1"), 1);
  return Buffer.concat([frame, Buffer.from(text, "latin1")]);
}
