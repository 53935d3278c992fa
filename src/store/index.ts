export type { Json, Store, Table, WriteTx } from "./store.ts";
export { compareKeys } from "./store.ts";
export { openLmdbStore } from "./lmdb-store.ts";
export { openMemoryStore } from "./memory-store.ts";
export { LazyStore, usableDir } from "./lazy-store.ts";
export { EtcdStore, FencedError, openEtcdStore, type Fence } from "./etcd-store.ts";
