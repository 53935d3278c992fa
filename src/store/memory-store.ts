// The in-memory twin of the LMDB store, for unit tests: same contract, same key order, same atomicity.
import { compareKeys, type Store, type Table, type WriteTx } from "./store.ts";

class MemoryTable<V> implements Table<V> {
  readonly rows = new Map<string, V>();

  constructor(readonly name: string) {}

  get(key: string): V | undefined {
    const v = this.rows.get(key);
    return v === undefined ? undefined : structuredClone(v);
  }

  has(key: string): boolean {
    return this.rows.has(key);
  }

  entries(prefix = ""): Array<[string, V]> {
    return [...this.rows.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort(compareKeys)
      .map((k) => [k, structuredClone(this.rows.get(k)!)]);
  }

  list(prefix?: string): V[] {
    return this.entries(prefix).map(([, v]) => v);
  }

  keys(prefix = ""): string[] {
    return [...this.rows.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
  }

  count(): number {
    return this.rows.size;
  }
}

export function openMemoryStore(): Store {
  const tables = new Map<string, MemoryTable<unknown>>();
  const seqs = new Map<string, number>();
  const table = <V>(name: string): Table<V> => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = new MemoryTable<unknown>(name)));
    return t as MemoryTable<V>;
  };
  const writeSync = (fn: (tx: WriteTx) => void) => {
    const ops: Array<() => void> = [];
    fn({
      put: (t, key, value) => {
        const copy = structuredClone(value);
        ops.push(() => (t as MemoryTable<unknown>).rows.set(key, copy));
      },
      delete: (t, key) => ops.push(() => (t as MemoryTable<unknown>).rows.delete(key)),
    });
    for (const op of ops) op(); // only after fn returned: a throw writes nothing
  };
  return {
    table,
    async write(fn) {
      writeSync(fn);
    },
    writeSync,
    nextSeq(name) {
      const n = (seqs.get(name) ?? 0) + 1;
      seqs.set(name, n);
      return n;
    },
    async close() {},
  };
}
