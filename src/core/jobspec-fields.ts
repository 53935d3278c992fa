// The building blocks of the job file's description (jobspec-schema.ts): a field knows how it is read (through
// MapReader, so messages keep the golden style), how it is written back to a file, and its docs line. A map is an
// object of fields keyed by the TypeScript name; the file's key is that name in snake_case (maxPerHost ->
// max_per_host). From one map description come its type (Infer), its key list, its reader and its writer.
//
//   fields --obj()--> MapSchema { keys, read(MapReader) -> T, write(T) -> file map, fields (for docs and tests) }

import { childPath, MapReader, ProblemList, readMap } from "./jobspec-reader.ts";
import { formatDuration, formatSize, parseSize } from "./units.ts";

/** One field of a map. `optional`: may be absent from the result (read returns undefined). */
export interface Field<T, Opt extends boolean = boolean> {
  readonly doc: string;
  readonly optional: Opt;
  /** The map description of a nested map, or of the entries of a list of maps. */
  readonly schema?: MapSchema<unknown>;
  /** A list of maps of `schema` (its entries' paths end in [i]). */
  readonly many?: boolean;
  read(r: MapReader, key: string): T | undefined;
  /** The file's form; undefined leaves the key out. `parent` is the value of the whole map (rules like "only when persistent"). */
  write(v: T, parent: never): unknown;
}

// A map mixes fields of every type.
type AnyField = Field<any, boolean>;
export type Fields = Record<string, AnyField>;
type ValueOf<F> = F extends Field<infer T, boolean> ? T : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The value type a map description reads into: required fields, then optional ones (`?:`). */
export type Infer<F extends Fields> = Simplify<
  { [K in keyof F as F[K] extends Field<unknown, true> ? never : K]: ValueOf<F[K]> } & {
    [K in keyof F as F[K] extends Field<unknown, true> ? K : never]?: ValueOf<F[K]>;
  }
>;

export interface MapSchema<T> {
  /** The file's keys, in declaration order (the order of "expected one of ..." and of the writer). */
  readonly keys: string[];
  readonly fields: Fields;
  read(r: MapReader): T;
  write(v: T): Record<string, unknown>;
}

/** maxPerHost -> max_per_host */
export const fileKey = (prop: string) => prop.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A map of the file from its fields. `check` runs after every field was read, with `clean` true when reading the map
 * found no problem (rules across fields, like max_delay >= delay).
 */
export function obj<F extends Fields>(fields: F, check?: (r: MapReader, v: Infer<F>, clean: boolean) => void): MapSchema<Infer<F>> {
  const entries = Object.entries(fields).map(([prop, f]) => [prop, fileKey(prop), f] as const);
  return {
    keys: entries.map(([, key]) => key),
    fields,
    read(r) {
      const before = r.list.problems.length;
      const out: Record<string, unknown> = {};
      for (const [prop, key, f] of entries) {
        const v = f.read(r, key);
        if (v !== undefined) out[prop] = v;
      }
      check?.(r, out as Infer<F>, r.list.problems.length === before);
      return out as Infer<F>;
    },
    write(v) {
      const out: Record<string, unknown> = {};
      for (const [prop, key, f] of entries) {
        const x = (v as Record<string, unknown>)[prop];
        const w = x === undefined ? undefined : f.write(x, v as never);
        if (w !== undefined) out[key] = w;
      }
      return out;
    },
  };
}

interface Common<T> {
  doc: string;
  /** Leave the key out of a written file when this holds (a default the reader fills in again). */
  omit?: (v: T, parent: never) => boolean;
}

function field<T>(c: Common<T>, read: (r: MapReader, key: string) => T, write: (v: T) => unknown = (v) => v): Field<T, false> {
  return { doc: c.doc, optional: false, read, write: (v, parent) => (c.omit?.(v, parent) ? undefined : write(v)) };
}

/** A whole number; without `def` it is required. */
export const int = (o: Common<number> & { min?: number; max?: number; def?: number }) => field(o, (r, k) => r.int(k, o));

/** A duration like 30s, read in ms. */
export const duration = (o: Common<number> & { def: number; min?: number }) => field(o, (r, k) => r.duration(k, o), formatDuration);

/** A size like 256M, read in bytes; without `def` it is required. */
export const size = (o: Common<number> & { def?: number }) => field(o, (r, k) => r.size(k, o.def), sizeText);

export const bool = (o: Common<boolean>) => field(o, (r, k) => r.bool(k));

/**
 * A string; without `def` it is required. `pattern`: a value that is a string but does not match is reported with
 * `message` (and read as `badValue`, the value itself by default).
 */
export const str = (o: Common<string> & { def?: string; nonEmpty?: boolean; pattern?: { re: RegExp; message: (v: string) => string; badValue?: string } }) =>
  field(o, (r, k) => {
    const before = r.list.problems.length;
    const v = r.str(k, o);
    if (!o.pattern || !r.has(k) || r.list.problems.length !== before || o.pattern.re.test(v)) return v;
    return r.fail(k, o.pattern.message(v), o.pattern.badValue ?? v);
  });

/** One of `allowed` ("'x' is not a <what>; did you mean y?"). */
export const oneOf = <T extends string>(allowed: readonly T[], what: string, o: Common<NoInfer<T>> & { def: NoInfer<T> }) =>
  field<T>(o, (r, k) => r.oneOf(k, allowed, what, o.def));

/** A list of distinct names; `required` also means at least one. */
export const strings = (o: Common<string[]> & { required?: boolean }) => field(o, (r, k) => r.strings(k, o.required));

/** A nested map, read even when absent (its required fields are then reported). */
export function map<T>(schema: MapSchema<T>, o: Common<T>): Field<T, false> {
  return { ...field(o, (r, k) => schema.read(r.map(k, schema.keys)), (v) => schema.write(v)), schema: schema as MapSchema<unknown> };
}

/** A nested map that is read only when present; `absent` is its value otherwise (left out of the result when undefined). */
export function optMap<T>(schema: MapSchema<T>, o: Common<T>): Field<T, true>;
export function optMap<T>(schema: MapSchema<T>, o: Common<T> & { absent: T }): Field<T, false>;
export function optMap<T>(schema: MapSchema<T>, o: Common<T> & { absent?: T }): Field<T, boolean> {
  const f = map(schema, o);
  return { ...f, optional: o.absent === undefined, read: (r, k) => (r.has(k) ? f.read(r, k) : o.absent) };
}

/** A scalar field read only when present (left out of the result otherwise). */
export function opt<T>(f: Field<T, false>): Field<T, true> {
  return { ...f, optional: true, read: (r, k) => (r.has(k) ? f.read(r, k) : undefined) };
}

/**
 * A list of maps. `nonEmpty`: the message when the list is given but empty (then it is also required); `check`: a rule
 * across the entries, run after they were read.
 */
export function list<T>(schema: MapSchema<T>, o: Common<T[]> & { nonEmpty?: string; check?: (r: MapReader, key: string, v: T[]) => void }): Field<T[], false> {
  const read = (r: MapReader, k: string) => {
    const items = r.items(k, o.nonEmpty !== undefined);
    if (o.nonEmpty && r.has(k) && Array.isArray(r.raw[k]) && items.length === 0) r.fail(k, o.nonEmpty, 0);
    const out = items.map((v, i) => schema.read(readMap(r.list, v, childPath(r.at(k), i), schema.keys)));
    o.check?.(r, k, out);
    return out;
  };
  return { ...field(o, read, (v) => v.map((x) => schema.write(x))), schema: schema as MapSchema<unknown>, many: true };
}

/** A field with its own reader and writer (`schema`: the keys of the map it reads, for the key table and docs). */
export function custom<T>(o: Common<T> & { read: (r: MapReader, key: string) => T; write: (v: T) => unknown; schema?: MapSchema<unknown> }): Field<T, false> {
  return { ...field(o, o.read, o.write), ...(o.schema ? { schema: o.schema } : {}) };
}

/** "256M" when that is exact, else the number of bytes. */
export function sizeText(bytes: number): string | number {
  const s = formatSize(bytes);
  return parseSize(s) === bytes ? s : bytes;
}

/** The value every field of `schema` takes when the file leaves it out (required ones read as 0, "" or []). */
export function defaultsOf<T>(schema: MapSchema<T>): T {
  return schema.read(new MapReader(new ProblemList(), "", {}, true));
}

/** Every key path of a description ("deploy.restart.max_delay", lists as [0]) with its docs line. */
export function keyPaths(schema: MapSchema<unknown>, path = ""): { path: string; doc: string }[] {
  return Object.entries(schema.fields).flatMap(([prop, f]) => {
    const at = childPath(path, fileKey(prop));
    const inner = f.schema ? keyPaths(f.schema, f.many ? `${at}[0]` : at) : [];
    return [{ path: at, doc: f.doc }, ...inner];
  });
}
