// The Store on LMDB: one environment per directory, one named database per table, rows as JSON text.
// Several processes may open the same directory at once (LMDB's writer lock is shared between processes).
import { mkdirSync } from "node:fs";
import { open, type Database, type RootDatabase } from "lmdb";
import { InvalidError, UnavailableError } from "../core/errors.ts";
import type { Store, Table, WriteTx } from "./store.ts";
import { checkKey, checkTableName, collectWrites, decodeValue, type BufferedWrite } from "./write-batch.ts";

type Db = Database<string, string>;

/** Where the nextSeq counters live; table names cannot start with "_", so it never meets a user table. */
const SEQ_DB = "__seq";
/** nextSeq reserves this many values per durable commit; a restart skips what was reserved but not used. */
const SEQ_BLOCK = 1000;

class LmdbTable<V> implements Table<V> {
  constructor(
    readonly name: string,
    readonly db: Db,
    readonly owner: LmdbStore,
  ) {}

  get(key: string): V | undefined {
    this.check(key);
    const text = this.db.get(key);
    return text === undefined ? undefined : decodeValue<V>(text);
  }

  has(key: string): boolean {
    this.check(key);
    return this.db.doesExist(key);
  }

  list(prefix = ""): V[] {
    return this.entries(prefix).map(([, v]) => v);
  }

  entries(prefix = ""): Array<[string, V]> {
    this.check(prefix);
    const out: Array<[string, V]> = [];
    for (const { key, value } of this.db.getRange({ start: prefix })) {
      if (!key.startsWith(prefix)) break; // keys with the prefix are contiguous in LMDB's byte order
      out.push([key, decodeValue<V>(value)]);
    }
    return out;
  }

  keys(prefix = ""): string[] {
    this.check(prefix);
    const out: string[] = [];
    for (const key of this.db.getKeys({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      out.push(key);
    }
    return out;
  }

  count(): number {
    this.owner.assertOpen();
    return this.db.getCount();
  }

  private check(key: string): void {
    this.owner.assertOpen();
    checkKey(key);
  }
}

class LmdbStore implements Store {
  private readonly env: RootDatabase<string, string>;
  private readonly seqDb: Db;
  private readonly tables = new Map<string, LmdbTable<unknown>>();
  private readonly leases = new Map<string, { next: number; last: number }>();
  private readonly noSync: boolean;
  private closed = false;

  constructor(dir: string, opts: { mapSizeMB?: number; noSync?: boolean }) {
    mkdirSync(dir, { recursive: true });
    this.noSync = opts.noSync ?? false;
    this.env = open<string, string>({
      path: dir,
      encoding: "string",
      maxDbs: 256,
      ...(opts.mapSizeMB ? { mapSize: opts.mapSizeMB * 1024 * 1024 } : {}),
      ...(this.noSync ? { noSync: true } : {}),
    });
    this.seqDb = this.env.openDB<string, string>({ name: SEQ_DB, encoding: "string" });
  }

  table<V>(name: string): Table<V> {
    this.assertOpen();
    checkTableName(name);
    let t = this.tables.get(name);
    if (!t) {
      t = new LmdbTable<unknown>(name, this.env.openDB<string, string>({ name, encoding: "string" }), this);
      this.tables.set(name, t);
    }
    return t as LmdbTable<V>;
  }

  async write(fn: (tx: WriteTx) => void): Promise<void> {
    this.assertOpen();
    const writes = this.collect(fn);
    if (writes.length === 0) return;
    // lmdb batches the transactions queued in one event turn into one commit. Its promise resolves once the
    // commit is visible; with overlapping sync (the default) the flush to disk comes after, so wait for it too.
    // `flushed` is read now, while it still names this batch's flush.
    const committed = this.env.transaction(() => {
      applyAll(writes);
    });
    const flushed = this.noSync ? undefined : new Promise((ok, fail) => void this.env.flushed.then(ok, fail));
    await Promise.all([committed, flushed]);
  }

  writeSync(fn: (tx: WriteTx) => void): void {
    this.assertOpen();
    const writes = this.collect(fn);
    if (writes.length === 0) return;
    // A synchronous commit is flushed to disk before transactionSync returns. The callback must not return a
    // promise (such as put()'s): lmdb would then keep the transaction open until it settles.
    this.env.transactionSync(() => {
      applyAll(writes);
    });
  }

  nextSeq(name: string): number {
    this.assertOpen();
    checkKey(name);
    let lease = this.leases.get(name);
    if (!lease || lease.next > lease.last) {
      lease = this.reserveBlock(name);
      this.leases.set(name, lease);
    }
    return lease.next++;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.env.close(); // waits for outstanding transactions
  }

  assertOpen(): void {
    if (this.closed) throw new UnavailableError("the store is closed");
  }

  /** Durably moves the counter's high-water mark up by SEQ_BLOCK and returns the values now reserved. */
  private reserveBlock(name: string): { next: number; last: number } {
    let last = 0;
    this.env.transactionSync(() => {
      last = Number(this.seqDb.get(name) ?? "0") + SEQ_BLOCK;
      this.seqDb.putSync(name, String(last));
    });
    return { next: last - SEQ_BLOCK + 1, last };
  }

  private collect(fn: (tx: WriteTx) => void): BufferedWrite<Db>[] {
    return collectWrites(fn, (t) => {
      if (!(t instanceof LmdbTable) || t.owner !== this) {
        throw new InvalidError(`table ${JSON.stringify(t.name)} belongs to another store`);
      }
      return t.db;
    });
  }
}

/** Runs inside an LMDB write transaction: putSync/removeSync then write into that transaction. */
function applyAll(writes: BufferedWrite<Db>[]): void {
  for (const w of writes) {
    if (w.value === undefined) w.target.removeSync(w.key);
    else w.target.putSync(w.key, w.value);
  }
}

/**
 * Opens (creating if needed) the store in `dir`. `noSync` skips flushing to disk: writes then survive a killed
 * process but not a machine crash; all processes sharing a directory must agree on it.
 */
export function openLmdbStore(dir: string, opts: { mapSizeMB?: number; noSync?: boolean } = {}): Store {
  return new LmdbStore(dir, opts);
}
