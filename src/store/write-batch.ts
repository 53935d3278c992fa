// What both stores share so they behave the same: the checks on names and keys, the JSON row encoding, and the
// write buffer that runs a transaction's fn before anything is applied (so a throw leaves nothing behind).
import { InvalidError } from "../core/errors.ts";
import type { Table, WriteTx } from "./store.ts";

/** LMDB's default key limit is 1978 bytes; keep well under it so both stores reject the same keys. */
export const MAX_KEY_BYTES = 1024;
const TABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;

/** Table names are plain words; names starting with "_" are reserved for the store itself. */
export function checkTableName(name: string): void {
  if (typeof name !== "string" || !TABLE_NAME.test(name)) {
    throw new InvalidError(`bad table name ${JSON.stringify(name)}: use letters, digits and . _ : / - (at most 100)`);
  }
}

/** Keys are well-formed strings (no lone surrogates) of at most MAX_KEY_BYTES UTF-8 bytes; "" is allowed. */
export function checkKey(key: string): void {
  if (typeof key !== "string") throw new InvalidError(`a key must be a string, not ${typeof key}`);
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new InvalidError(`key of ${Buffer.byteLength(key)} bytes is over the limit of ${MAX_KEY_BYTES}`);
  }
  if (!key.isWellFormed()) throw new InvalidError(`key ${JSON.stringify(key)} has a lone surrogate`);
}

export function encodeValue(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new InvalidError(`value is not JSON-able: ${(e as Error).message}`);
  }
  if (text === undefined) throw new InvalidError(`value is not JSON-able: ${typeof value}`);
  return text;
}

export function decodeValue<V>(text: string): V {
  return JSON.parse(text) as V;
}

/** One buffered write; `value` is the encoded row, or undefined for a delete. */
export interface BufferedWrite<T> {
  target: T;
  key: string;
  value: string | undefined;
}

/**
 * Runs fn against a WriteTx that only records, validating and encoding as it goes. `own` maps a Table to the
 * store's own handle for it and throws if the table belongs to another store. If fn throws, so does this.
 */
export function collectWrites<T>(fn: (tx: WriteTx) => void, own: (table: Table<unknown>) => T): BufferedWrite<T>[] {
  const writes: BufferedWrite<T>[] = [];
  fn({
    put(table, key, value) {
      checkKey(key);
      writes.push({ target: own(table as Table<unknown>), key, value: encodeValue(value) });
    },
    delete(table, key) {
      checkKey(key);
      writes.push({ target: own(table as Table<unknown>), key, value: undefined });
    },
  });
  return writes;
}
