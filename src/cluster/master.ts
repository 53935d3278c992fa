// The life of a master process (ResMan or AppMaster): serve RPC at once (as a standby it answers NOT_LEADER with
// the leader's address), campaign for the lock, lead until leadership is lost, then step down.
import type { RpcServer } from "../rpc/index.ts";
import { ClusterDir, type ClusterView, type MasterRole } from "./cluster-dir.ts";
import { campaign } from "./election.ts";
import type { Leadership } from "./leadership.ts";

export interface MasterShell {
  leadership: Leadership | null;
  /** Loads hard state and starts acting as leader (may persist first). */
  becomeLeader(leadership: Leadership): void | Promise<void>;
  stopTimers(): void;
  /** True once becomeLeader has finished. */
  ready(): boolean;
}

export interface MasterHandle {
  readonly addr: string;
  /** Resolves when this process has lost leadership (it must exit so a supervisor restarts it as a standby). */
  readonly lost: Promise<void>;
  stop(): Promise<void>;
}

/** How often a standby repeats its warm-up (JavaScriptCore drops compiled code that has not run for a while). */
export const WARM_UP_EVERY_MS = 20_000;
/** Slices of warm-up when a standby starts waiting, and at each repeat. */
export const WARM_UP_SLICES = 10;
export const WARM_UP_REPEAT_SLICES = 2;

/**
 * A standby's warm-up: WARM_UP_SLICES rehearsals when it starts waiting, then WARM_UP_REPEAT_SLICES every
 * WARM_UP_EVERY_MS, each slice on its own turn of the event loop (tens of ms), so the standby keeps polling the lock
 * and answering NOT_LEADER in between: a leader that dies during the warm-up is replaced as fast as ever.
 */
export class WarmUp {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(private readonly slice: () => void, private readonly log: (msg: string) => void) {}

  start(): void {
    if (this.timer || this.stopped) return;
    const since = performance.now();
    this.timer = setTimeout(() => this.run(WARM_UP_SLICES, 0, since, true), 1);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private run(left: number, spent: number, since: number, first: boolean): void {
    if (this.stopped) return;
    if (left === 0) {
      if (first) this.log(`warmed up for a takeover (${Math.round(spent)} ms of work over ${Math.round(performance.now() - since)} ms)`);
      this.timer = setTimeout(() => this.run(WARM_UP_REPEAT_SLICES, 0, performance.now(), false), WARM_UP_EVERY_MS);
      this.timer.unref?.();
      return;
    }
    const t0 = performance.now();
    try {
      this.slice();
    } catch (e) {
      this.log(`warm-up failed (${e instanceof Error ? e.message : String(e)}); taking over will be slower`);
      return;
    }
    const took = performance.now() - t0;
    this.timer = setTimeout(() => this.run(left - 1, spent + took, since, first), 1);
    this.timer.unref?.();
  }
}

/** How long a standby reuses the leader address it read (it answers every call NOT_LEADER with it). */
export const LEADER_ADDR_TTL_MS = 200;

/**
 * The leaderCheck an RpcServer of a master uses. A standby reads the leader file at most every LEADER_ADDR_TTL_MS:
 * thousands of agents retrying against it would otherwise make it open and parse that file for every call.
 */
export function leaderCheck(role: MasterRole, cluster: Pick<ClusterView, "readLeader">, advertise: string, shell: MasterShell, now: () => number = Date.now) {
  let cached = { addr: "", at: -Infinity };
  return () => {
    const leader = shell.leadership?.isLeader() === true && shell.ready();
    if (leader) return { leader, leaderAddr: advertise };
    const t = now();
    if (t - cached.at >= LEADER_ADDR_TTL_MS) cached = { addr: cluster.readLeader(role)?.addr ?? "", at: t };
    return { leader, leaderAddr: cached.addr };
  };
}

/** How a master campaigns: flock in a cluster dir (the default), or etcd (EtcdClusterView.elect). */
export type Elect = (o: { role: MasterRole; addr: string; log: (msg: string) => void; onStandby: () => void }, signal: AbortSignal) => Promise<Leadership>;

export function runMaster(o: {
  role: MasterRole;
  cluster: ClusterView;
  /** Default: campaign() on the cluster dir (o.cluster must then be a ClusterDir). */
  elect?: Elect;
  advertise: string;
  host: string;
  port: number;
  server: RpcServer;
  shell: MasterShell;
  log: (msg: string) => void;
  close: () => Promise<void>;
  /**
   * One small rehearsal of what taking over costs (decoding agents' full reports, ...), run by a standby in slices
   * (see WarmUp) so the JIT has compiled that path before it counts.
   */
  warmUp?: () => void;
}): MasterHandle {
  o.server.listen(o.host, o.port);
  o.log(`${o.role}: listening on ${o.advertise}; waiting for the lock in ${o.cluster.path}`);
  const elect: Elect =
    o.elect ??
    ((args, signal) => {
      if (!(o.cluster instanceof ClusterDir)) throw new Error(`no election for ${o.cluster.path}`);
      return campaign({ clusterDir: o.cluster, ...args }, signal);
    });
  const abort = new AbortController();
  const warming = o.warmUp ? new WarmUp(o.warmUp, (msg) => o.log(`${o.role}: ${msg}`)) : null;
  const lost = (async () => {
    let leadership: Leadership;
    try {
      leadership = await elect({ role: o.role, addr: o.advertise, log: o.log, onStandby: () => warming?.start() }, abort.signal);
    } finally {
      warming?.stop();
    }
    await o.shell.becomeLeader(leadership);
    await leadership.lost();
    o.shell.stopTimers();
  })();
  return {
    addr: o.advertise,
    lost,
    async stop() {
      abort.abort();
      o.shell.stopTimers();
      o.shell.leadership?.release();
      await o.server.stop();
      await o.close();
    },
  };
}
