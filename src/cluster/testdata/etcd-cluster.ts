// Tests start their etcd with the same helper as `galaxy bench failover --etcd` (../etcd-local.ts).
export * from "../etcd-local.ts";
