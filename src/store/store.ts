// The storage interface every role uses. Two implementations sit behind it: LMDB on disk (lmdb-store.ts) and an
// in-memory twin for tests and simulations (memory-store.ts); store.contract.ts holds the one test suite both pass.

/**
 * The key order of every table: by UTF-8 bytes, which is code point order and what LMDB uses. It differs from
 * `a < b` (UTF-16 code units) only when characters above U+FFFF meet characters in U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (D800..DFFF, which start characters above U+FFFF) after E000..FFFF. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** A JSON-able value: what a table row may hold. Values are stored as JSON, so `undefined` fields are dropped. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A named table of JSON-able values keyed by string. Reads are synchronous and see committed data.
 * Keys are ordered by UTF-8 bytes (that is, by code point), which is how LMDB orders them.
 * Every read returns a fresh copy: mutating it never changes the stored row.
 */
export interface Table<V> {
  readonly name: string;
  get(key: string): V | undefined;
  has(key: string): boolean;
  /** Values in key order; with prefix, only keys starting with it. */
  list(prefix?: string): V[];
  entries(prefix?: string): Array<[string, V]>;
  keys(prefix?: string): string[];
  count(): number;
}

/**
 * Collects the writes of one transaction. The writes are buffered and applied together at commit, so reads made
 * while fn runs (through Table) still see the committed state from before this transaction.
 */
export interface WriteTx {
  put<V>(table: Table<V>, key: string, value: V): void;
  delete<V>(table: Table<V>, key: string): void;
}

export interface Store {
  /** Opens (or returns the already-open) table; the same name always gives the same table. */
  table<V>(name: string): Table<V>;
  /**
   * Runs fn (synchronously, now) and commits all its writes atomically: all or nothing if fn throws, in which
   * case the promise rejects with fn's error. Resolves only after the commit is durable on disk (LMDB).
   * Writes become visible to readers no later than when the promise resolves; several write() calls commit in
   * call order.
   */
  write(fn: (tx: WriteTx) => void): Promise<void>;
  /** Same, synchronous: durable when it returns (for shells that must persist before acting). */
  writeSync(fn: (tx: WriteTx) => void): void;
  /**
   * A counter persisted in the store (event sequence numbers, ids). Starts at 1; every call in a process returns a
   * larger value than the one before, and no value is ever returned twice, even across restarts (there may be gaps).
   * May be called inside or outside write().
   */
  nextSeq(name: string): number;
  /** Waits for pending writes, then closes. Any later use throws UnavailableError. */
  close(): Promise<void>;
}
