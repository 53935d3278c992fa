// Store on LMDB: one environment per directory, one named database per table, msgpack values.
// Several processes may open the same directory (a standby master shares its leader's data dir).
import { mkdirSync } from "node:fs";
import { open, type Database, type RootDatabase } from "lmdb";
import type { Store, Table, WriteTx } from "./store.ts";

class LmdbTable<V> implements Table<V> {
  constructor(
    readonly name: string,
    readonly db: Database<V, string>,
  ) {}

  get(key: string): V | undefined {
    return this.db.get(key);
  }

  has(key: string): boolean {
    return this.db.doesExist(key);
  }

  entries(prefix = ""): Array<[string, V]> {
    const out: Array<[string, V]> = [];
    for (const { key, value } of this.db.getRange(prefix ? { start: prefix } : {})) {
      if (prefix && !key.startsWith(prefix)) break;
      out.push([key, value]);
    }
    return out;
  }

  list(prefix?: string): V[] {
    return this.entries(prefix).map(([, v]) => v);
  }

  keys(prefix = ""): string[] {
    const out: string[] = [];
    for (const key of this.db.getKeys(prefix ? { start: prefix } : {})) {
      if (prefix && !key.startsWith(prefix)) break;
      out.push(key);
    }
    return out;
  }

  count(): number {
    return this.db.getCount();
  }
}

const SEQ_TABLE = "__seq";

export function openLmdbStore(dir: string, opts: { mapSizeMB?: number; noSync?: boolean } = {}): Store {
  mkdirSync(dir, { recursive: true });
  const env: RootDatabase = open({ path: dir, mapSize: (opts.mapSizeMB ?? 4096) * 1024 * 1024, noSync: opts.noSync ?? false, maxDbs: 64 });
  const tables = new Map<string, LmdbTable<unknown>>();
  const table = <V>(name: string): Table<V> => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = new LmdbTable<unknown>(name, env.openDB<unknown, string>({ name, keyEncoding: "ordered-binary" }))));
    return t as LmdbTable<V>;
  };
  const tx: WriteTx = {
    put: (t, key, value) => void (t as LmdbTable<unknown>).db.putSync(key, value),
    delete: (t, key) => void (t as LmdbTable<unknown>).db.removeSync(key),
  };
  return {
    table,
    async write(fn) {
      // transactionSync commits before it returns; with sync on, the commit is flushed to disk.
      env.transactionSync(() => fn(tx));
    },
    writeSync(fn) {
      env.transactionSync(() => fn(tx));
    },
    nextSeq(name) {
      const seqs = table<number>(SEQ_TABLE) as LmdbTable<number>;
      return env.transactionSync(() => {
        const next = (seqs.get(name) ?? 0) + 1;
        seqs.db.putSync(name, next);
        return next;
      });
    },
    async close() {
      await env.close();
    },
  };
}
