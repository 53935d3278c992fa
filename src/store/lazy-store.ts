// A Store that opens its backing store on first use. Masters use it so that a standby holds no LMDB environment
// open on its leader's data dir until it leads: a process with the env open while another is SIGKILLed inside a
// write transaction was once seen to spin in lmdb's native code, and a standby has no business reading that file
// before it takes the lock (it reads its hard state only then).
//
// Tables handed out before the open are stand-ins that resolve to the real table on each use.
import { accessSync, constants, mkdirSync } from "node:fs";
import { InvalidError, UnavailableError } from "../core/errors.ts";
import type { Store, Table, WriteTx } from "./store.ts";
import { checkTableName } from "./write-batch.ts";

class LazyTable<V> implements Table<V> {
  constructor(
    readonly name: string,
    private readonly real: () => Table<V>,
  ) {}

  resolve(): Table<V> {
    return this.real();
  }
  get(key: string): V | undefined {
    return this.real().get(key);
  }
  has(key: string): boolean {
    return this.real().has(key);
  }
  list(prefix?: string): V[] {
    return this.real().list(prefix);
  }
  entries(prefix?: string): Array<[string, V]> {
    return this.real().entries(prefix);
  }
  keys(prefix?: string): string[] {
    return this.real().keys(prefix);
  }
  count(): number {
    return this.real().count();
  }
}

export class LazyStore implements Store {
  private store: Store | null = null;
  private closed = false;
  private readonly tables = new Map<string, LazyTable<unknown>>();

  constructor(private readonly open: () => Store) {}

  /** Whether the backing store has been opened. */
  get opened(): boolean {
    return this.store !== null;
  }

  private real(): Store {
    if (this.closed) throw new UnavailableError("the store is closed");
    return (this.store ??= this.open());
  }

  table<V>(name: string): Table<V> {
    if (this.closed) throw new UnavailableError("the store is closed");
    let t = this.tables.get(name);
    if (!t) checkTableName(name);
    if (!t) this.tables.set(name, (t = new LazyTable(name, () => this.real().table(name))));
    return t as Table<V>;
  }

  write(fn: (tx: WriteTx) => void): Promise<void> {
    try {
      const store = this.real();
      return store.write((tx) => fn(unwrap(tx)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  writeSync(fn: (tx: WriteTx) => void): void {
    this.real().writeSync((tx) => fn(unwrap(tx)));
  }

  nextSeq(name: string): number {
    return this.real().nextSeq(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.store;
    this.store = null;
    if (s) await s.close();
  }
}

/** A transaction that takes stand-in tables and passes the real ones on. */
function unwrap(tx: WriteTx): WriteTx {
  const real = <V>(t: Table<V>): Table<V> => (t instanceof LazyTable ? (t as LazyTable<V>).resolve() : t);
  return {
    put: (t, key, value) => tx.put(real(t), key, value),
    delete: (t, key) => tx.delete(real(t), key),
  };
}

/** Makes the directory if needed and checks it can be read and written (at start, before a lazy open); returns it. */
export function usableDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK);
  } catch (e) {
    throw new InvalidError(`data dir ${dir} cannot be used: ${(e as Error).message}`);
  }
  return dir;
}
