// The in-memory twin of the LMDB store, for tests and simulations: the same contract, key order, JSON rows,
// atomicity and nextSeq. Nothing survives the process.
import { InvalidError, UnavailableError } from "../core/errors.ts";
import { compareKeys, type Store, type Table, type WriteTx } from "./store.ts";
import { checkKey, checkTableName, collectWrites, decodeValue, type BufferedWrite } from "./write-batch.ts";

/** A sorted in-memory table; the etcd store keeps its leader's copy of the hard state in these too. */
export class MemoryTable<V> implements Table<V> {
  private readonly rows = new Map<string, string>(); // key -> JSON text, as LMDB holds it
  private readonly sorted = new SortedKeys(); // the keys, in compareKeys order

  constructor(
    readonly name: string,
    readonly owner: { assertOpen(): void },
  ) {}

  get(key: string): V | undefined {
    this.owner.assertOpen();
    checkKey(key);
    const text = this.rows.get(key);
    return text === undefined ? undefined : decodeValue<V>(text);
  }

  has(key: string): boolean {
    this.owner.assertOpen();
    checkKey(key);
    return this.rows.has(key);
  }

  list(prefix = ""): V[] {
    return this.keys(prefix).map((k) => decodeValue<V>(this.rows.get(k)!));
  }

  entries(prefix = ""): Array<[string, V]> {
    return this.keys(prefix).map((k) => [k, decodeValue<V>(this.rows.get(k)!)]);
  }

  keys(prefix = ""): string[] {
    this.owner.assertOpen();
    return this.sorted.from(prefix);
  }

  count(): number {
    this.owner.assertOpen();
    return this.rows.size;
  }

  /** Applies one committed write. */
  apply(key: string, value: string | undefined): void {
    const present = this.rows.has(key);
    if (value === undefined) {
      if (present) this.sorted.delete(key);
      this.rows.delete(key);
      return;
    }
    if (!present) this.sorted.insert(key);
    this.rows.set(key, value);
  }
}

/**
 * Keys in compareKeys order, in blocks of BLOCK to 2*BLOCK keys: an insert or delete moves at most one block's
 * worth, so a leader's table of a million rows (the etcd store keeps its tables in these) stays cheap to change.
 */
const BLOCK = 512;

class SortedKeys {
  private readonly blocks: string[][] = [];

  /** Inserts a key that is not there. */
  insert(key: string): void {
    if (this.blocks.length === 0) return void this.blocks.push([key]);
    const b = this.blockFor(key);
    const block = this.blocks[b]!;
    block.splice(lowerBound(block, key), 0, key);
    if (block.length > 2 * BLOCK) this.blocks.splice(b + 1, 0, block.splice(BLOCK));
  }

  /** Deletes a key that is there. */
  delete(key: string): void {
    const b = this.blockFor(key);
    const block = this.blocks[b]!;
    block.splice(lowerBound(block, key), 1);
    if (block.length === 0) this.blocks.splice(b, 1);
  }

  /** Every key starting with prefix, in order. */
  from(prefix: string): string[] {
    const out: string[] = [];
    if (this.blocks.length === 0) return out;
    const b0 = this.blockFor(prefix);
    for (let b = b0, i = lowerBound(this.blocks[b0]!, prefix); b < this.blocks.length; b++, i = 0) {
      const block = this.blocks[b]!;
      for (; i < block.length; i++) {
        if (!block[i]!.startsWith(prefix)) return out;
        out.push(block[i]!);
      }
    }
    return out;
  }

  /** The last block whose first key is not above `key` (the first block when none is). */
  private blockFor(key: string): number {
    let lo = 0;
    let hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.blocks[mid]![0]!, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }
}

/** The first index whose key is not below `key`. */
function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sorted[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class MemoryStore implements Store {
  private readonly tables = new Map<string, MemoryTable<unknown>>();
  private readonly seqs = new Map<string, number>();
  private closed = false;

  table<V>(name: string): Table<V> {
    this.assertOpen();
    checkTableName(name);
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new MemoryTable<unknown>(name, this)));
    return t as MemoryTable<V>;
  }

  async write(fn: (tx: WriteTx) => void): Promise<void> {
    this.assertOpen();
    const writes = this.collect(fn);
    // Like LMDB, the commit happens after write() returns: callers must await it before reading their writes.
    await Promise.resolve();
    applyAll(writes);
  }

  writeSync(fn: (tx: WriteTx) => void): void {
    this.assertOpen();
    applyAll(this.collect(fn));
  }

  nextSeq(name: string): number {
    this.assertOpen();
    checkKey(name);
    const n = (this.seqs.get(name) ?? 0) + 1;
    this.seqs.set(name, n);
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  assertOpen(): void {
    if (this.closed) throw new UnavailableError("the store is closed");
  }

  private collect(fn: (tx: WriteTx) => void): BufferedWrite<MemoryTable<unknown>>[] {
    return collectWrites(fn, (t) => {
      if (!(t instanceof MemoryTable) || t.owner !== this) {
        throw new InvalidError(`table ${JSON.stringify(t.name)} belongs to another store`);
      }
      return t;
    });
  }
}

function applyAll(writes: BufferedWrite<MemoryTable<unknown>>[]): void {
  for (const w of writes) w.target.apply(w.key, w.value);
}

export function openMemoryStore(): Store {
  return new MemoryStore();
}
