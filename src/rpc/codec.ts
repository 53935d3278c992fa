// Message codecs: protobuf bytes and JSON text <-> plain objects (Plain<...>: every field present, 64-bit numbers
// as number, an absent nested message as its default, every field at its zero value: fillMessages). Types are looked up once (messageType) and reused per call.
import { galaxy } from "./gen/galaxy.js";
import { MESSAGE_FIELDS } from "./gen/methods.ts";
import type { IConversionOptions } from "protobufjs";
import { InternalError, InvalidError } from "../core/errors.ts";

/** What a handler may return and a client may send: any subset of the fields, at any depth. */
export type DeepPartial<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer E)[]
    ? DeepPartial<E>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> | null }
      : T;

/** The static methods of a generated message class that the codec uses. */
export interface MessageType {
  encode(m: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
  fromObject(o: object): object;
  toObject(m: object, o: IConversionOptions): Record<string, unknown>;
  verify(o: object): string | null;
}

type V1 = typeof galaxy.v1;
/** The names of the message types in galaxy.v1 (services excluded). */
export type MessageName = { [K in keyof V1]: V1[K] extends { decode: unknown } ? K : never }[keyof V1];

export const PROTOBUF = "application/x-protobuf";
export const JSON_TYPE = "application/json";

/** Decoded form: every field present (defaults), 64-bit integers as number, bytes as Uint8Array. */
const PLAIN: IConversionOptions = { longs: Number, defaults: true, arrays: true, objects: true };
/** JSON form: the same, with bytes as base64 text (JSON.stringify cannot carry a Uint8Array). */
const JSON_FORM: IConversionOptions = { longs: Number, defaults: true, arrays: true, objects: true, bytes: String };

const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** The generated class for a message name; throws InternalError for a name that is no message. */
export function messageType(name: string): MessageType {
  const t = (galaxy.v1 as unknown as Record<string, Partial<MessageType> | undefined>)[name];
  if (!t || typeof t.decode !== "function" || typeof t.fromObject !== "function") {
    throw new InternalError(`no protobuf message galaxy.v1.${name}`);
  }
  return t as MessageType;
}

/** Plain object (any subset of fields) -> protobuf bytes. Throws InvalidError when a field has the wrong shape. */
export function encodeWith(t: MessageType, name: string, obj: object | null | undefined): Uint8Array<ArrayBuffer> {
  // protobufjs writes into a plain ArrayBuffer (never a SharedArrayBuffer), so fetch and Response accept it.
  return t.encode(fromObjectChecked(t, name, obj)).finish() as Uint8Array<ArrayBuffer>;
}

/** Protobuf bytes -> plain object. Throws InvalidError for bytes that are no such message. */
export function decodeWith<T>(t: MessageType, name: string, bytes: Uint8Array): T {
  let m: object;
  try {
    m = t.decode(bytes);
  } catch (e) {
    throw new InvalidError(`body is not a valid protobuf ${name} (${reasonOf(e)})`, { type: name });
  }
  return fillMessages(name, t.toObject(m, PLAIN)) as T;
}

/**
 * proto3 semantics for sub-messages: an absent one reads as its default (every field at its zero value), as
 * generated getters do in other languages. So decoded objects match their Plain<> types: nested fields never null.
 */
export function fillMessages(name: string, obj: Record<string, unknown>): Record<string, unknown> {
  const fields = MESSAGE_FIELDS[name];
  if (!fields) return obj;
  for (const key in fields) {
    const [type, kind] = fields[key]!;
    const v = obj[key];
    if (kind === 0) obj[key] = v == null ? defaultOf(type) : fillMessages(type, v as Record<string, unknown>);
    else if (kind === 1) for (const e of v as Record<string, unknown>[]) fillMessages(type, e);
    else for (const e of Object.values(v as Record<string, Record<string, unknown>>)) fillMessages(type, e);
  }
  return obj;
}

function defaultOf(type: string): Record<string, unknown> {
  const t = messageType(type);
  return fillMessages(type, t.toObject(t.fromObject({}), PLAIN));
}

/** Plain object -> JSON text in the toObject form (every field, longs as numbers, bytes as base64). */
export function encodeJsonWith(t: MessageType, name: string, obj: object | null | undefined): string {
  return JSON.stringify(t.toObject(fromObjectChecked(t, name, obj), JSON_FORM));
}

/** No message of the schema nests deeper than this; a JSON body that does is refused before it is parsed. */
export const MAX_JSON_DEPTH = 64;

/** True when the JSON text nests objects and arrays deeper than `limit` (one pass over the bytes, strings skipped). */
export function jsonDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** JSON bytes -> plain object, checking every field's type first. An empty body is the empty message. */
export function decodeJsonWith<T>(t: MessageType, name: string, bytes: Uint8Array): T {
  if (jsonDeeperThan(bytes, MAX_JSON_DEPTH)) throw new InvalidError(`body nests deeper than ${MAX_JSON_DEPTH} levels`, { type: name });
  let parsed: unknown;
  try {
    const text = textDecoder.decode(bytes);
    parsed = text.trim() === "" ? {} : JSON.parse(text);
  } catch (e) {
    throw new InvalidError(`body is not valid JSON (${reasonOf(e)})`, { type: name });
  }
  return fromJsonValue<T>(t, name, parsed);
}

/** A parsed JSON value -> plain object: rejects non-objects and wrongly typed fields, naming the field. */
export function fromJsonValue<T>(t: MessageType, name: string, value: unknown): T {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    throw new InvalidError(`invalid ${name}: a JSON object expected, got ${got}`, { type: name });
  }
  const problem = t.verify(value);
  if (problem !== null) {
    const { field, what } = splitVerifyError(problem);
    throw new InvalidError(`invalid ${name}: field ${field}: ${what}`, { type: name, field });
  }
  return fillMessages(name, t.toObject(fromObjectChecked(t, name, value), PLAIN)) as T;
}

/** By name, for callers outside the hot path. */
export function encode(typeName: MessageName, obj: object): Uint8Array<ArrayBuffer> {
  return encodeWith(messageType(typeName), typeName, obj);
}

export function decode<T = Record<string, unknown>>(typeName: MessageName, bytes: Uint8Array): T {
  return decodeWith<T>(messageType(typeName), typeName, bytes);
}

export function encodeJson(typeName: MessageName, obj: object): string {
  return encodeJsonWith(messageType(typeName), typeName, obj);
}

export function decodeJson<T = Record<string, unknown>>(typeName: MessageName, text: string | Uint8Array): T {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return decodeJsonWith<T>(messageType(typeName), typeName, bytes);
}

function fromObjectChecked(t: MessageType, name: string, obj: object | null | undefined): object {
  try {
    return t.fromObject(obj ?? {});
  } catch (e) {
    // fromObject names the field as ".galaxy.v1.Type.field: object expected".
    const msg = reasonOf(e).replace(/^\.galaxy\.v1\./, "");
    throw new InvalidError(`invalid ${name}: ${msg}`, { type: name });
  }
}

/** verify() says "agent.total.memory: integer|Long expected" or "containers.object expected". */
function splitVerifyError(problem: string): { field: string; what: string } {
  const colon = problem.lastIndexOf(": ");
  let field: string;
  let what: string;
  if (colon >= 0) {
    field = problem.slice(0, colon);
    what = problem.slice(colon + 2);
  } else {
    const dot = problem.lastIndexOf(".", problem.indexOf(" "));
    field = dot >= 0 ? problem.slice(0, dot) : "?";
    what = dot >= 0 ? problem.slice(dot + 1) : problem;
  }
  return { field, what: what.replace("integer|Long expected", "integer expected").replace("buffer expected", "base64 text expected") };
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
