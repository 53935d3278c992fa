// Where a master keeps its hard state and holds its election: LMDB + flock in a cluster dir (the default, one host),
// or etcd (--etcd, masters on several hosts). The role's shell sees only a Store, a ClusterView and an Elect.
import { randomBytes } from "node:crypto";
import { InvalidError } from "../core/errors.ts";
import { LazyStore, usableDir } from "../store/lazy-store.ts";
import { openLmdbStore } from "../store/lmdb-store.ts";
import type { Store } from "../store/store.ts";
import { ClusterDir, type ClusterView, type MasterRole } from "./cluster-dir.ts";
import { campaign } from "./election.ts";
import { EtcdClusterView } from "./etcd-cluster.ts";
import type { Elect } from "./master.ts";
import { parseStamp, stampMismatch, type StateStamp } from "./state-stamp.ts";

export interface BackendOptions {
  role: MasterRole;
  dataDir?: string;
  clusterDir?: string;
  /** etcd endpoints, comma separated: hard state and election in etcd. */
  etcd?: string;
  etcdPrefix?: string;
  log: (msg: string) => void;
}

export interface MasterBackend {
  cluster: ClusterView;
  store: Store;
  elect: Elect;
  close(): Promise<void>;
}

export async function openBackend(o: BackendOptions): Promise<MasterBackend> {
  if (o.etcd) {
    const view = await EtcdClusterView.connect({ endpoints: o.etcd, prefix: o.etcdPrefix, clusterDir: o.clusterDir, log: o.log });
    const store = new LazyStore(() => view.leaderStore(o.role));
    return { cluster: view, store, elect: view.elect(), close: async () => (await store.close(), view.close()) };
  }
  if (!o.dataDir) throw new InvalidError("--data-dir is required without --etcd");
  if (!o.clusterDir) throw new InvalidError("--cluster-dir is required without --etcd");
  const dataDir = usableDir(o.dataDir);
  const cluster = new ClusterDir(o.clusterDir);
  // A standby opens its LMDB env only when it takes the lock (src/store/lazy-store.ts); the dir is checked now.
  const store = new LazyStore(() => openLmdbStore(dataDir));
  const elect: Elect = async (args, signal) => {
    const leadership = await campaign({ clusterDir: cluster, ...args }, signal);
    try {
      await stampState(o.role, cluster, store, dataDir, leadership.epoch);
    } catch (e) {
      leadership.release();
      throw e;
    }
    return leadership;
  };
  return { cluster, store, elect, close: () => store.close() };
}

const STAMP_TABLE = "cluster-state";

/**
 * Refuses (one sentence) when this data dir is not the last leader's; otherwise stamps it, then the cluster dir,
 * with this epoch as the new generation.
 */
export async function stampState(role: MasterRole, cluster: ClusterDir, store: Store, dataDir: string, epoch: number): Promise<void> {
  const table = store.table<StateStamp>(STAMP_TABLE);
  const mine = parseStamp(JSON.stringify(table.get("stamp") ?? null));
  const theirs = parseStamp(cluster.readRoleFile(role, "state"));
  const why = stampMismatch(mine, theirs);
  if (why !== null) throw new InvalidError(`refusing to lead ${role}: data dir ${dataDir} ${why}; start it with the last leader's data dir`);
  const next: StateStamp = { cluster: theirs?.cluster ?? mine?.cluster ?? randomBytes(8).toString("hex"), generation: epoch };
  await store.write((tx) => tx.put(table, "stamp", next));
  cluster.writeFileAtomic(cluster.roleFile(role, "state"), JSON.stringify(next) + "\n");
}
