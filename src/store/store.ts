// The storage contract every role uses: named tables of plain values keyed by string, atomic multi-table writes
// acknowledged only after commit, and persistent sequences. LMDB in production, an in-memory twin in unit tests.

/** A named table of JSON-able values keyed by string. Reads are synchronous and see committed data. */
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

export interface WriteTx {
  put<V>(table: Table<V>, key: string, value: V): void;
  delete<V>(table: Table<V>, key: string): void;
}

export interface Store {
  /** Opens (or returns the already-open) table; the same name always gives the same table. */
  table<V>(name: string): Table<V>;
  /** Runs fn in one transaction; its writes commit atomically (none if fn throws). Resolves after a durable commit. */
  write(fn: (tx: WriteTx) => void): Promise<void>;
  /** The same, synchronously (for shells that must persist before acting, e.g. the agent's cap checkpoint). */
  writeSync(fn: (tx: WriteTx) => void): void;
  /** A persisted counter: never returns the same value twice for a name, across restarts too. */
  nextSeq(name: string): number;
  close(): Promise<void>;
}

/** Keys in LMDB's order for string keys: by UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
