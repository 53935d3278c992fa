// A small etcd v3 client on etcd's JSON gateway (grpc-gateway, `POST /v3/...`) over fetch: kv range/put/txn/delete,
// leases and watch. Keys and values are strings here (UTF-8), base64 on the wire; revisions are numbers (int64 as
// decimal strings on the wire, far below 2^53 in practice). Why not the `etcd3` npm package: see README.md.
import { UnavailableError } from "../core/errors.ts";

export interface Kv {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  /** The lease the key is attached to ("0" when none). */
  lease: string;
}

/** A compare of a txn: `target` of `key` against `value` (a revision, a version, or the value itself). */
export interface Compare {
  key: string;
  target: "create" | "mod" | "version" | "value";
  result?: "==" | "!=" | ">" | "<";
  value: number | string;
}

export type Op =
  | { put: { key: string; value: string; lease?: string } }
  | { delete: { key: string; prefix?: boolean } }
  | { range: { key: string; prefix?: boolean } };

export interface TxnResult {
  succeeded: boolean;
  revision: number;
  /** One per op of the branch that ran; a range answers its kvs. */
  responses: Array<{ kvs?: Kv[] }>;
}

/** An error etcd answered (grpc code and message), as opposed to not answering at all (UnavailableError). */
export class EtcdError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = "EtcdError";
  }
}

export interface WatchEvent {
  type: "put" | "delete";
  kv: Kv;
}

export interface Watch {
  /** Resolves once etcd confirmed the watch. */
  readonly ready: Promise<void>;
  cancel(): void;
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, "base64").toString("utf8") : "");
const num = (s: string | number | undefined): number => Number(s ?? 0);

/** The end of the key range of every key starting with `prefix` (etcd's "prefix" convention). */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, "utf8");
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) return Buffer.concat([bytes.subarray(0, i), Buffer.from([bytes[i]! + 1])]).toString("base64");
  }
  return Buffer.from([0]).toString("base64"); // every key
}

type Raw = Record<string, unknown>;

function parseKv(r: Raw): Kv {
  return {
    key: unb64(r.key as string),
    value: unb64(r.value as string),
    createRevision: num(r.create_revision as string),
    modRevision: num(r.mod_revision as string),
    version: num(r.version as string),
    lease: String(r.lease ?? "0"),
  };
}

const TARGETS = { create: "CREATE", mod: "MOD", version: "VERSION", value: "VALUE" } as const;
const RESULTS = { "==": "EQUAL", "!=": "NOT_EQUAL", ">": "GREATER", "<": "LESS" } as const;
const FIELDS = { create: "create_revision", mod: "mod_revision", version: "version", value: "value" } as const;

function rawCompare(c: Compare): Raw {
  const value = c.target === "value" ? b64(String(c.value)) : String(c.value);
  return { key: b64(c.key), target: TARGETS[c.target], result: RESULTS[c.result ?? "=="], [FIELDS[c.target]]: value };
}

function rawOp(op: Op): Raw {
  if ("put" in op) {
    const p: Raw = { key: b64(op.put.key), value: b64(op.put.value) };
    if (op.put.lease) p.lease = op.put.lease;
    return { request_put: p };
  }
  if ("delete" in op) return { request_delete_range: rangeOf(op.delete.key, op.delete.prefix) };
  return { request_range: rangeOf(op.range.key, op.range.prefix) };
}

function rangeOf(key: string, prefix?: boolean): Raw {
  return prefix ? { key: b64(key), range_end: prefixEnd(key) } : { key: b64(key) };
}

export class EtcdClient {
  private current = 0;

  constructor(
    readonly endpoints: string[],
    private readonly timeoutMs = 5000,
  ) {
    if (endpoints.length === 0) throw new Error("no etcd endpoint given");
  }

  /** Parses "http://a:2379,http://b:2379" (a bare host:port gets http://). */
  static fromList(list: string, timeoutMs?: number): EtcdClient {
    const urls = list.split(",").map((s) => s.trim()).filter(Boolean).map((u) => (u.includes("://") ? u : `http://${u}`).replace(/\/+$/, ""));
    return new EtcdClient(urls, timeoutMs);
  }

  /**
   * The key, or with `prefix` every key starting with it (from `from` on, when given); at `revision` when given
   * (a consistent read of several pages).
   */
  async range(
    key: string,
    o: { prefix?: boolean; from?: string; limit?: number; keysOnly?: boolean; revision?: number } = {},
  ): Promise<{ kvs: Kv[]; revision: number; more: boolean }> {
    const body: Raw = rangeOf(key, o.prefix);
    if (o.prefix && o.from !== undefined) body.key = b64(o.from);
    if (o.revision) body.revision = String(o.revision);
    if (o.limit) body.limit = o.limit;
    if (o.keysOnly) body.keys_only = true;
    const r = await this.call("/v3/kv/range", body);
    return { kvs: ((r.kvs as Raw[]) ?? []).map(parseKv), revision: headerRevision(r), more: r.more === true };
  }

  /** Every key-value under `prefix`, read in pages of `pageSize` at one revision. */
  async list(prefix: string, pageSize = 5000): Promise<{ kvs: Kv[]; revision: number }> {
    const first = await this.range(prefix, { prefix: true, limit: pageSize });
    const kvs = first.kvs;
    let more = first.more;
    while (more) {
      const page = await this.range(prefix, { prefix: true, from: kvs.at(-1)!.key + "\0", limit: pageSize, revision: first.revision });
      kvs.push(...page.kvs);
      more = page.more;
    }
    return { kvs, revision: first.revision };
  }

  async get(key: string): Promise<Kv | null> {
    return (await this.range(key)).kvs[0] ?? null;
  }

  async put(key: string, value: string, lease?: string): Promise<number> {
    return headerRevision(await this.call("/v3/kv/put", (rawOp({ put: { key, value, lease } }) as { request_put: Raw }).request_put));
  }

  async delete(key: string, o: { prefix?: boolean } = {}): Promise<number> {
    const r = await this.call("/v3/kv/deleterange", rangeOf(key, o.prefix));
    return num(r.deleted as string);
  }

  async txn(t: { compare?: Compare[]; success?: Op[]; failure?: Op[] }): Promise<TxnResult> {
    const r = await this.call("/v3/kv/txn", {
      compare: (t.compare ?? []).map(rawCompare),
      success: (t.success ?? []).map(rawOp),
      failure: (t.failure ?? []).map(rawOp),
    });
    const responses = ((r.responses as Raw[]) ?? []).map((x) => {
      const range = x.response_range as Raw | undefined;
      return range ? { kvs: ((range.kvs as Raw[]) ?? []).map(parseKv) } : {};
    });
    return { succeeded: r.succeeded === true, revision: headerRevision(r), responses };
  }

  /** Drops the history before `revision` (watches from before it are then canceled). */
  async compact(revision: number): Promise<void> {
    await this.call("/v3/kv/compaction", { revision: String(revision), physical: true });
  }

  async leaseGrant(ttlSeconds: number): Promise<{ id: string; ttl: number }> {
    const r = await this.call("/v3/lease/grant", { TTL: ttlSeconds });
    if (r.error) throw new EtcdError(`lease grant: ${String(r.error)}`, 0);
    return { id: String(r.ID), ttl: num(r.TTL as string) };
  }

  /** Renews the lease once; answers its remaining TTL in seconds (0 once it has expired). */
  async leaseKeepAlive(id: string): Promise<number> {
    const r = await this.call("/v3/lease/keepalive", { ID: id });
    const res = r.result as Raw | undefined;
    return num(res?.TTL as string);
  }

  async leaseRevoke(id: string): Promise<void> {
    try {
      await this.call("/v3/lease/revoke", { ID: id });
    } catch (e) {
      if (!(e instanceof EtcdError && e.code === 5)) throw e; // already gone
    }
  }

  /**
   * Watches a key (or prefix) from `startRevision` (default: now). Events arrive in revision order; on a broken
   * stream the watch is re-created from the revision after the last one seen. cancel() ends it. When etcd cancels
   * it (the start revision was compacted away), onCanceled is called and the watch ends.
   */
  watch(key: string, o: { prefix?: boolean; startRevision?: number; onCanceled?: (reason: string) => void }, onEvents: (events: WatchEvent[], revision: number) => void): Watch {
    const abort = new AbortController();
    let next = o.startRevision ?? 0;
    let confirm: () => void = () => {};
    const ready = new Promise<void>((ok) => (confirm = ok));
    const run = async () => {
      while (!abort.signal.aborted) {
        const create: Raw = { ...rangeOf(key, o.prefix) };
        if (next > 0) create.start_revision = String(next);
        try {
          const res = await fetch(`${this.endpoint()}/v3/watch`, {
            method: "POST",
            body: JSON.stringify({ create_request: create }),
            signal: abort.signal,
          });
          for await (const msg of jsonLines(res.body!)) {
            const r = (msg as Raw).result as Raw | undefined;
            if (!r) continue;
            if (r.created) confirm();
            if (r.canceled) {
              abort.abort();
              o.onCanceled?.(String(r.cancel_reason || `compacted at revision ${String(r.compact_revision ?? "?")}`));
              return;
            }
            const evs = ((r.events as Raw[]) ?? []).map((e) => ({ type: e.type === "DELETE" ? "delete" : "put", kv: parseKv(e.kv as Raw) }) as WatchEvent);
            const rev = headerRevision(r);
            if (evs.length > 0) {
              next = evs.at(-1)!.kv.modRevision + 1;
              onEvents(evs, rev);
            }
          }
        } catch {
          if (abort.signal.aborted) return;
          this.rotate();
        }
        if (!abort.signal.aborted) await Bun.sleep(100);
      }
    };
    void run();
    return { ready, cancel: () => abort.abort() };
  }

  private endpoint(): string {
    return this.endpoints[this.current % this.endpoints.length]!;
  }

  private rotate(): void {
    this.current = (this.current + 1) % this.endpoints.length;
  }

  /**
   * One request. A member that does not answer, or answers with a transient error (no leader, leader changed,
   * canceled, timed out), is skipped for the next; after a round of all of them the client waits a little and goes
   * on, until timeoutMs has passed. etcd's other refusals throw EtcdError at once.
   */
  private async call(path: string, body: Raw): Promise<Raw> {
    const deadline = performance.now() + this.timeoutMs;
    let last: unknown = null;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      if (attempt > 0 && attempt % this.endpoints.length === 0) await Bun.sleep(Math.min(50, left));
      const url = this.endpoint() + path;
      let res: Response;
      try {
        // One member may hold a request for seconds while its cluster elects a leader: try the others meanwhile.
        const attemptMs = Math.max(1, Math.ceil(Math.min(left, Math.max(1000, this.timeoutMs / 4))));
        res = await fetch(url, { method: "POST", body: JSON.stringify(body), signal: AbortSignal.timeout(attemptMs) });
      } catch (e) {
        last = e;
        this.rotate();
        continue;
      }
      const r = (await res.json().catch(() => ({}))) as Raw;
      if (!res.ok || (typeof r.code === "number" && r.error !== undefined)) {
        const code = num(r.code as number);
        const message = String(r.message ?? r.error ?? res.status);
        if (TRANSIENT.has(code) || /leader changed|no leader|timed out|connection is closing/.test(message)) {
          last = new Error(message);
          this.rotate();
          continue;
        }
        throw new EtcdError(`etcd ${path}: ${message}`, code);
      }
      return r;
    }
    throw new UnavailableError(`etcd is unreachable at ${this.endpoints.join(",")}: ${(last as Error)?.message ?? last ?? "timed out"}`);
  }
}

/** grpc codes worth asking another member (or the same one again): canceled, deadline exceeded, unavailable. */
const TRANSIENT = new Set([1, 4, 14]);

function headerRevision(r: Raw): number {
  return num(((r.header as Raw) ?? {}).revision as string);
}

/** Splits a stream of concatenated JSON objects (one per line, as the gateway sends them). */
async function* jsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of body) {
    buf += dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (buf.trim()) yield JSON.parse(buf);
}
