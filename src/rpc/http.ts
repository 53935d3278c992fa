// Small HTTP helpers shared by the server: path parsing, body reading under a limit, replies.
import { TooLargeError, type GalaxyError } from "../core/errors.ts";
import { JSON_TYPE, PROTOBUF, encodeJsonWith, encodeWith, messageType } from "./codec.ts";
import { errorToWire, statusForCode } from "./errors.ts";

export type BodyFormat = "protobuf" | "json" | "unsupported";

const EMPTY = new Uint8Array(0);
const PROTO_HEADERS = { "content-type": PROTOBUF };
const JSON_HEADERS = { "content-type": JSON_TYPE };
const ERROR_TYPE = messageType("Error");

/** "http://host:port/rpc/A/B?x" -> "/rpc/A/B" without building a URL object. */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const q = url.indexOf("?", start);
  return q < 0 ? url.slice(start) : url.slice(start, q);
}

/** JSON when the content type says json; protobuf when it says protobuf/octet-stream or nothing. */
export function formatOf(contentType: string | null): BodyFormat {
  if (contentType === null || contentType === "" || contentType.startsWith(PROTOBUF)) return "protobuf";
  if (contentType.startsWith(JSON_TYPE) || contentType.includes("json")) return "json";
  if (contentType.startsWith("application/protobuf") || contentType.startsWith("application/octet-stream")) {
    return "protobuf";
  }
  return "unsupported";
}

/** The body, refusing (TooLargeError) a declared or actual size over `max` without buffering past it. */
export async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (n > max) throw new TooLargeError(n, max);
    if (n === 0) return EMPTY;
    const bytes = await req.bytes();
    if (bytes.byteLength > max) throw new TooLargeError(bytes.byteLength, max);
    return bytes;
  }
  if (req.body === null) return EMPTY;
  return readStream(req.body, max);
}

async function readStream(body: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new TooLargeError(total, max);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export function protobufReply(status: number, bytes: Uint8Array<ArrayBuffer>): Response {
  return new Response(bytes, { status, headers: PROTO_HEADERS });
}

export function jsonReply(status: number, text: string): Response {
  return new Response(text, { status, headers: JSON_HEADERS });
}

/** An Error message in the request's format, with the status its code maps to (or `status` when given). */
export function errorReply(err: GalaxyError, json: boolean, status = statusForCode(err.code), extra?: Record<string, string>): Response {
  const wire = errorToWire(err);
  const body = json ? encodeJsonWith(ERROR_TYPE, "Error", wire) : encodeWith(ERROR_TYPE, "Error", wire);
  const headers = extra ? { ...(json ? JSON_HEADERS : PROTO_HEADERS), ...extra } : json ? JSON_HEADERS : PROTO_HEADERS;
  return new Response(body, { status, headers });
}
