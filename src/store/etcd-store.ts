// The Store on etcd, for masters on several hosts. The leader holds the whole hard state in memory (loaded once, at
// takeover) and writes through: every write is an etcd transaction guarded by the leader's fence (the create
// revision of its leader key), so a deposed leader's writes are refused by etcd itself (FencedError).
//
// Layout under `prefix`: `<prefix>/t/<table>\0<key>` = the row's JSON text; `<prefix>/seq/<name>` = the high-water
// mark nextSeq has reserved. Table names never hold "\0", so the split is unambiguous.
import { EtcdClient, EtcdError, type Op, type WatchEvent } from "../cluster/etcd-client.ts";
import { GalaxyError, InvalidError, UnavailableError } from "../core/errors.ts";
import { MemoryTable } from "./memory-store.ts";
import type { Store, Table, WriteTx } from "./store.ts";
import { checkKey, checkTableName, collectWrites } from "./write-batch.ts";

/** etcd's defaults: --max-request-bytes 1.5 MiB, --max-txn-ops 128. Batches are split to stay under both. */
export const MAX_TXN_OPS = 128;
export const MAX_TXN_BYTES = 1_400_000;
/** Bytes a put costs beyond its key and value (protobuf framing, the fence compare; generous). */
const OP_OVERHEAD = 64;
const SEQ_BLOCK = 1000;
/** Txns of one batch committed at once (a big SyncGroups is hundreds of them). */
const TXNS_IN_FLIGHT = 4;

/** The leader's epoch, as etcd knows it: writes succeed only while `key` is the one created at `createRevision`. */
export interface Fence {
  key: string;
  createRevision: number;
}

/** A write refused by etcd because the writer's fence no longer holds: another leader was elected. */
export class FencedError extends GalaxyError {
  constructor(fence: Fence) {
    super("NOT_LEADER", `etcd refused the write: ${fence.key} is no longer the key created at revision ${fence.createRevision} (this leader was deposed)`, {
      fenced: "true",
    });
    this.name = "FencedError";
  }
}

export interface EtcdStoreOptions {
  client: EtcdClient;
  /** Where this store's keys live, e.g. "/galaxy/state/resman" (no trailing slash). */
  prefix: string;
  fence?: Fence | null;
  /** Called once when a write-through fails (fenced, or etcd did not answer): the store is then unusable. */
  onFailure?: (err: Error) => void;
  maxTxnOps?: number;
  maxTxnBytes?: number;
}

interface Pending {
  ops: Map<string, string | undefined>;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class EtcdStore implements Store {
  private readonly tables = new Map<string, MemoryTable<unknown>>();
  private readonly seqs = new Map<string, { next: number; last: number }>();
  private readonly marks = new Map<string, number>(); // seq high-water marks loaded from etcd
  private queue: Pending[] = [];
  private pumping: Promise<void> | null = null;
  private closed = false;
  private failed: Error | null = null;
  private fence: Fence | null;
  private onFailure: ((err: Error) => void) | undefined;

  constructor(private readonly o: EtcdStoreOptions) {
    this.fence = o.fence ?? null;
    this.onFailure = o.onFailure;
  }

  /** Reads every row and seq mark under the prefix into memory (one consistent revision); answers that revision. */
  async load(): Promise<number> {
    const { kvs, revision } = await this.o.client.list(`${this.o.prefix}/`);
    for (const kv of kvs) this.applyRemote(kv.key, kv.value);
    return revision;
  }

  /**
   * Applies changes another process made (a standby following its leader with a watch). Only for a store that
   * does not write itself; keys outside the prefix are ignored.
   */
  applyEvents(events: WatchEvent[]): void {
    for (const e of events) this.applyRemote(e.kv.key, e.type === "put" ? e.kv.value : undefined);
  }

  setFence(fence: Fence | null): void {
    this.fence = fence;
  }

  setOnFailure(onFailure: (err: Error) => void): void {
    this.onFailure = onFailure;
  }

  private applyRemote(key: string, value: string | undefined): void {
    const rowsAt = `${this.o.prefix}/t/`;
    const seqAt = `${this.o.prefix}/seq/`;
    if (key.startsWith(rowsAt)) {
      const rest = key.slice(rowsAt.length);
      const cut = rest.indexOf("\0");
      if (cut >= 0) (this.table(rest.slice(0, cut)) as MemoryTable<unknown>).apply(rest.slice(cut + 1), value);
    } else if (key.startsWith(seqAt)) {
      if (value === undefined) this.marks.delete(key.slice(seqAt.length));
      else this.marks.set(key.slice(seqAt.length), Number(value));
    }
  }

  table<V>(name: string): Table<V> {
    this.assertOpen();
    checkTableName(name);
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new MemoryTable<unknown>(name, this)));
    return t as MemoryTable<V>;
  }

  /**
   * Applies fn's writes to the in-memory copy now (readers see them at once) and resolves once etcd committed them.
   * If etcd refuses or does not answer, the promise rejects and the store is failed: every later use throws.
   */
  write(fn: (tx: WriteTx) => void): Promise<void> {
    try {
      return this.accept(fn);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * As write(), but returns before etcd has committed (there is no synchronous network call): the write is durable
   * once the promise of any later write() resolves. Masters do not use it.
   */
  writeSync(fn: (tx: WriteTx) => void): void {
    void this.accept(fn).catch(() => {}); // the failure is reported by onFailure and by every later use
  }

  /**
   * Reserves SEQ_BLOCK numbers at a time. The reservation is queued before any write made after this call, so a
   * number found in etcd was reserved there first; a restart skips what was reserved but not used.
   */
  nextSeq(name: string): number {
    this.assertOpen();
    checkKey(name);
    let s = this.seqs.get(name);
    if (!s || s.next > s.last) {
      const last = (s?.last ?? this.marks.get(name) ?? 0) + SEQ_BLOCK;
      s = { next: last - SEQ_BLOCK + 1, last };
      this.seqs.set(name, s);
      void this.enqueue(new Map([[`${this.o.prefix}/seq/${name}`, String(last)]])).catch(() => {});
    }
    return s.next++;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pumping?.catch(() => {});
  }

  assertOpen(): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw new UnavailableError("the store is closed");
  }

  private accept(fn: (tx: WriteTx) => void): Promise<void> {
    this.assertOpen();
    const writes = collectWrites(fn, (t) => {
      if (!(t instanceof MemoryTable) || t.owner !== this) throw new InvalidError(`table ${JSON.stringify(t.name)} belongs to another store`);
      return t;
    });
    if (writes.length === 0) return Promise.resolve();
    const ops = new Map<string, string | undefined>();
    for (const w of writes) {
      const key = `${this.o.prefix}/t/${w.target.name}\0${w.key}`;
      ops.delete(key); // the last write of a key wins (etcd refuses a key twice in one txn)
      ops.set(key, w.value);
      w.target.apply(w.key, w.value);
    }
    return this.enqueue(ops);
  }

  private enqueue(ops: Map<string, string | undefined>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, resolve, reject });
      if (this.pumping === null) this.pumping = Promise.resolve().then(() => this.pump());
    });
  }

  /** Commits the queue in call order: what queued up while a txn was in flight goes together in the next one(s). */
  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        const merged = new Map<string, string | undefined>();
        for (const p of batch) {
          for (const [k, v] of p.ops) {
            merged.delete(k);
            merged.set(k, v);
          }
        }
        try {
          await this.commitAll(splitOps(merged, this.o.maxTxnOps ?? MAX_TXN_OPS, this.o.maxTxnBytes ?? MAX_TXN_BYTES));
        } catch (e) {
          const err = this.fail(e as Error);
          for (const p of [...batch, ...this.queue.splice(0)]) p.reject(err);
          return;
        }
        for (const p of batch) p.resolve();
      }
    } finally {
      this.pumping = null;
    }
  }

  /**
   * The txns of one merged batch touch distinct keys, so up to TXNS_IN_FLIGHT of them go at once; the next batch
   * starts only when all of them are committed (call order between batches).
   */
  private async commitAll(chunks: Op[][]): Promise<void> {
    let next = 0;
    let failed: Error | null = null;
    const lane = async () => {
      while (failed === null && next < chunks.length) {
        const chunk = chunks[next++]!;
        await this.commit(chunk).catch((e: Error) => void (failed ??= e));
      }
    };
    await Promise.all(Array.from({ length: Math.min(TXNS_IN_FLIGHT, chunks.length) }, lane));
    if (failed !== null) throw failed;
  }

  private async commit(ops: Op[]): Promise<void> {
    const fence = this.fence;
    const r = await this.o.client.txn({ compare: fence ? [{ key: fence.key, target: "create", value: fence.createRevision }] : [], success: ops });
    if (!r.succeeded) throw new FencedError(fence!);
  }

  private fail(e: Error): Error {
    if (this.failed) return this.failed;
    const err =
      e instanceof GalaxyError
        ? e
        : e instanceof EtcdError
          ? new UnavailableError(`etcd refused a write: ${e.message}`)
          : new UnavailableError(`etcd write failed: ${e.message}`);
    this.failed = err;
    this.onFailure?.(err);
    return err;
  }
}

/** Splits a merged batch into txns of at most maxOps ops and about maxBytes bytes (a bigger single op goes alone). */
export function splitOps(ops: Map<string, string | undefined>, maxOps: number, maxBytes: number): Op[][] {
  const out: Op[][] = [];
  let cur: Op[] = [];
  let bytes = 0;
  for (const [key, value] of ops) {
    const size = Buffer.byteLength(key) + (value === undefined ? 0 : Buffer.byteLength(value)) + OP_OVERHEAD;
    if (cur.length > 0 && (cur.length >= maxOps || bytes + size > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(value === undefined ? { delete: { key } } : { put: { key, value } });
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Opens the store under `prefix` and loads everything in it. */
export async function openEtcdStore(o: EtcdStoreOptions): Promise<EtcdStore> {
  const s = new EtcdStore(o);
  await s.load();
  return s;
}
