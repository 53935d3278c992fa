// The life of a master process (ResMan or AppMaster): serve RPC at once (as a standby it answers NOT_LEADER with
// the leader's address), campaign for the lock, lead until leadership is lost, then step down.
import type { RpcServer } from "../rpc/index.ts";
import type { ClusterDir, MasterRole } from "./cluster-dir.ts";
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

/** How long a standby reuses the leader address it read (it answers every call NOT_LEADER with it). */
export const LEADER_ADDR_TTL_MS = 200;

/**
 * The leaderCheck an RpcServer of a master uses. A standby reads the leader file at most every LEADER_ADDR_TTL_MS:
 * thousands of agents retrying against it would otherwise make it open and parse that file for every call.
 */
export function leaderCheck(role: MasterRole, cluster: ClusterDir, advertise: string, shell: MasterShell, now: () => number = Date.now) {
  let cached = { addr: "", at: -Infinity };
  return () => {
    const leader = shell.leadership?.isLeader() === true && shell.ready();
    if (leader) return { leader, leaderAddr: advertise };
    const t = now();
    if (t - cached.at >= LEADER_ADDR_TTL_MS) cached = { addr: cluster.readLeader(role)?.addr ?? "", at: t };
    return { leader, leaderAddr: cached.addr };
  };
}

export function runMaster(o: {
  role: MasterRole;
  cluster: ClusterDir;
  advertise: string;
  host: string;
  port: number;
  server: RpcServer;
  shell: MasterShell;
  log: (msg: string) => void;
  close: () => Promise<void>;
}): MasterHandle {
  o.server.listen(o.host, o.port);
  o.log(`${o.role}: listening on ${o.advertise}; waiting for the lock in ${o.cluster.path}`);
  const abort = new AbortController();
  const lost = (async () => {
    const leadership = await campaign({ clusterDir: o.cluster, role: o.role, addr: o.advertise, log: o.log }, abort.signal);
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
