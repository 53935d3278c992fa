// The cluster directory, flock-based leader election with a lease, epochs and the cluster secret.
export { ClusterDir, MASTER_ROLES, parseLeaderInfo, type ClusterView, type LeaderInfo, type MasterRole, type RoleFile } from "./cluster-dir.ts";
export { campaign, type ElectionOptions } from "./election.ts";
export { IS_LEADER_CACHE_MS, type Leadership } from "./leadership.ts";
export { holderKey, leaseExpiry, observeHolder, type HolderObservation } from "./lease.ts";
export { acquireFlock, tryFlock, type FileLock } from "./lock.ts";
export { leaderCheck, runMaster, type MasterHandle, type MasterShell } from "./master.ts";
export { EtcdClient, EtcdError } from "./etcd-client.ts";
export { campaignEtcd, readEtcdLeader, EtcdLeadership, type EtcdElectionOptions, type EtcdLeaderInfo } from "./etcd-election.ts";
