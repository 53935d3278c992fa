// Real processes for the cluster and failover benchmarks: a ResMan started from this executable on a temp cluster
// dir, an internal RPC client holding the cluster secret (as AppMaster would), polling with a deadline, and the
// process figures read from /proc (cpu seconds) and ResMan's /metrics (server-side latency histogram).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ClusterDir } from "../cluster/index.ts";
import { UnavailableError } from "../core/errors.ts";
import { decode, encode, PROTOBUF, RpcClient, SECRET_HEADER } from "../rpc/index.ts";
import { leaderAddresses } from "./fleet-process.ts";

/**
 * How often the benchmarks poll ResMan/Status: its pool usage walks every container (O(containers) per call), so
 * polling it every 10 ms took a third of the new leader's time during a failover. 100 ms is the figures' resolution.
 */
export const STATUS_POLL_MS = 100;

/** Cleanups to run when the benchmark is interrupted (Ctrl-C, SIGTERM): stop the processes it started. */
const cleanups = new Set<() => Promise<void>>();
let trapped = false;

/** Runs `fn` on SIGINT/SIGTERM before exiting; returns the function that unregisters it. */
export function onInterrupt(fn: () => Promise<void>): () => void {
  if (!trapped) {
    trapped = true;
    const handler = (sig: string) => {
      process.stderr.write(`bench: ${sig}: stopping the processes it started\n`);
      void Promise.allSettled([...cleanups].map((f) => f())).then(() => process.exit(130));
    };
    process.once("SIGINT", () => handler("SIGINT"));
    process.once("SIGTERM", () => handler("SIGTERM"));
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export interface BenchDir {
  path: string;
  clusterDir: string;
  secret: string;
  cleanup(): void;
}

/** A temp dir with a cluster dir whose secret exists before any process starts. */
export function benchDir(prefix: string): BenchDir {
  const path = mkdtempSync(join(tmpdir(), `galaxy-bench-${prefix}-`));
  const clusterDir = join(path, "cluster");
  const secret = new ClusterDir(clusterDir).secret();
  return { path, clusterDir, secret, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface ResManProc {
  proc: Subprocess;
  pid: number;
  addr: string;
  logFile: string;
  log(): string;
  kill(signal: NodeJS.Signals | number): void;
  stop(): Promise<void>;
}

/** Masters on etcd: the endpoints and key prefix, and whether this ResMan seeds the cluster secret from the dir. */
export interface BenchEtcd {
  endpoints: string;
  prefix: string;
}

/**
 * A ResMan on the bench's cluster dir and one shared LMDB data dir; or with `etcd`, on etcd with a data dir of its
 * own (as on separate hosts), the first one (`seed`) seeding etcd's cluster secret from the bench's cluster dir.
 */
export function startResManProc(o: {
  galaxy: string[]; dir: BenchDir; name: string; port: number; heartbeatInterval: string; recoveryWindow: string; extra?: string[];
  etcd?: BenchEtcd; seed?: boolean;
}): ResManProc {
  const addr = `127.0.0.1:${o.port}`;
  const logFile = join(o.dir.path, `${o.name}.log`);
  const storage = o.etcd
    ? ["--etcd", o.etcd.endpoints, "--etcd-prefix", o.etcd.prefix, "--data-dir", join(o.dir.path, `${o.name}-data`), ...(o.seed ? ["--cluster-dir", o.dir.clusterDir] : [])]
    : ["--data-dir", join(o.dir.path, "resman-data"), "--cluster-dir", o.dir.clusterDir];
  const argv = [
    ...o.galaxy, "resman", ...storage, "--listen", addr,
    "--heartbeat-interval", o.heartbeatInterval, "--recovery-window", o.recoveryWindow, ...(o.extra ?? []),
  ];
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: Bun.file(logFile), stderr: Bun.file(logFile) });
  const log = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  return {
    proc, pid: proc.pid, addr, logFile, log,
    kill: (signal) => proc.kill(signal),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await proc.exited;
      clearTimeout(t);
    },
  };
}

/** An internal client (cluster secret) that follows the leader file. */
export function internalClient(dir: BenchDir, fixed: string[]): RpcClient {
  return new RpcClient({ addresses: leaderAddresses(dir.clusterDir, fixed), credentials: { secret: dir.secret }, timeoutMs: 30_000 });
}

/** Polls until cond returns a truthy value (errors count as not yet); throws after timeoutMs. */
export async function waitUntil<T>(what: string, cond: () => T | Promise<T>, timeoutMs: number, stepMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > end) throw new UnavailableError(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last})` : ""}`);
    await Bun.sleep(stepMs);
  }
}

/**
 * A base port p with p + each offset free. Drawn below the kernel's ephemeral range, so the client ends of the
 * previous run's connections (in TIME_WAIT by the thousand after a big run) never collide with it.
 */
export async function freePorts(offsets: readonly number[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 12_000 + Math.floor(Math.random() * 18_000);
    let ok = true;
    for (const o of offsets) if (!(await portFree(p + o))) (ok = false);
    if (ok) return p;
  }
  throw new UnavailableError(`no free ports at offsets ${offsets.join(", ")} of any base tried`);
}

/** Two consecutive free ports (a leader and its standby). */
export const freePortPair = (): Promise<number> => freePorts([0, 1]);

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** User + system cpu seconds a process has used (from /proc/<pid>/stat), or 0 when unknown. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** Cumulative bucket counts of galaxy_rpc_duration_seconds for one method, from /metrics text. */
export function latencyBuckets(metricsText: string, method: string): Map<number, number> {
  return histogramBuckets(metricsText, "galaxy_rpc_duration_seconds", `method="${method}"`);
}

/** Cumulative bucket counts (le -> count) of one histogram's series whose labels contain `labelText`. */
export function histogramBuckets(metricsText: string, metric: string, labelText: string): Map<number, number> {
  const out = new Map<number, number>();
  const re = new RegExp(`^${metric}_bucket\\{([^}]*)\\}\\s+(\\S+)$`, "gm");
  for (const m of metricsText.matchAll(re)) {
    if (!m[1]!.includes(labelText)) continue;
    const le = /(?:^|,)le="([^"]+)"/.exec(m[1]!)?.[1];
    if (le) out.set(le === "+Inf" ? Infinity : Number(le), Number(m[2]));
  }
  return out;
}

/** The upper bound (ms) of the bucket holding the p-th percentile of calls between two scrapes; 0 without calls. */
export function bucketPercentileMs(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const les = [...after.keys()].sort((x, y) => x - y);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return 0;
  for (const le of les) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= (p / 100) * total) return le * 1000;
  }
  return Infinity;
}

export async function scrapeMetrics(addr: string): Promise<string> {
  const res = await fetch(`http://${addr}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return res.text();
}

export interface HintsCall {
  groups: number;
  containers: number;
  bytes: number;
  /** Request to last byte received (ResMan builds and encodes the hints). */
  fetchMs: number;
  /** Decoding the reply, as AppMaster does. */
  decodeMs: number;
}

/** GetHints as AppMaster's loop sends it: incremental rounds (each since the previous reply), and one full call. */
export interface HintsCost extends HintsCall {
  /** The median (by fetch time) of INCREMENTAL_ROUNDS rounds 500 ms apart, before the full call. */
  incremental: HintsCall;
  /** The slowest of those rounds. */
  incrementalMaxMs: number;
  /** ResMan's own time for the slowest round (the upper bound of its /metrics bucket): the rest is queueing. */
  incrementalServerMaxMs: number;
}

const INCREMENTAL_ROUNDS = 5;

/**
 * AppMaster's sync loop (every 500 ms) asks GetHints(all) since its last reply: everything once (first ask, new
 * ResMan), then only the groups that changed. Times a few incremental rounds in the steady state (starting from the
 * current version, read with an empty named-groups call), then one full call (the figures before B8).
 */
export async function measureHints(dir: BenchDir, addr: string): Promise<HintsCost> {
  let last = (await timedGetHints(dir, addr, { all: false, groups: [] })).at;
  const rounds: HintsCall[] = [];
  const before = latencyBuckets(await scrapeMetrics(addr), "ResMan/GetHints");
  for (let i = 0; i < INCREMENTAL_ROUNDS; i++) {
    if (i > 0) await Bun.sleep(500);
    const r = await timedGetHints(dir, addr, { all: true, since: last.version, sinceEpoch: last.epoch });
    rounds.push(r.cost);
    last = r.at;
  }
  const server = bucketPercentileMs(before, latencyBuckets(await scrapeMetrics(addr), "ResMan/GetHints"), 100);
  const full = await timedGetHints(dir, addr, { all: true });
  const byTime = rounds.slice().sort((a, b) => a.fetchMs - b.fetchMs);
  return {
    ...full.cost, incremental: byTime[Math.floor(byTime.length / 2)]!, incrementalMaxMs: byTime[byTime.length - 1]!.fetchMs,
    incrementalServerMaxMs: server,
  };
}

type HintsReplyHead = { epoch: number; version: number; hints: { containers: unknown[] }[] };

async function timedGetHints(dir: BenchDir, addr: string, req: object): Promise<{ cost: HintsCall; at: { epoch: number; version: number } }> {
  const t0 = performance.now();
  const res = await fetch(`http://${addr}/rpc/ResMan/GetHints`, {
    // as AppMaster's own call: with its current epoch (ResMan refuses none or an older one)
    method: "POST", body: encode("GetHintsRequest", { amEpoch: new ClusterDir(dir.clusterDir).readLeader("appmaster")?.epoch ?? 1, ...req }), headers: { "content-type": PROTOBUF, [SECRET_HEADER]: dir.secret },
    signal: AbortSignal.timeout(120_000),
  });
  const bytes = await res.bytes();
  const t1 = performance.now();
  if (res.status !== 200) throw new UnavailableError(`GetHints answered HTTP ${res.status}`);
  const reply = decode<HintsReplyHead>("GetHintsReply", bytes);
  const t2 = performance.now();
  const containers = reply.hints.reduce((n, h) => n + h.containers.length, 0);
  return { at: { epoch: reply.epoch, version: reply.version }, cost: { groups: reply.hints.length, containers, bytes: bytes.length, fetchMs: Math.round(t1 - t0), decodeMs: Math.round(t2 - t1) } };
}
