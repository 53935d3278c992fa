// A standby must not lead with empty or foreign hard state. With LMDB, each leader stamps its data dir and the
// cluster dir (`R.state`) with {cluster id, generation = its epoch} when it takes over; a standby leads only if its
// data dir's stamp is the cluster's (same cluster, generation not below): that is, it holds the last leader's state.

export interface StateStamp {
  cluster: string;
  generation: number;
}

export function parseStamp(text: string | null | undefined): StateStamp | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as StateStamp;
    return typeof v.cluster === "string" && Number.isInteger(v.generation) ? { cluster: v.cluster, generation: v.generation } : null;
  } catch {
    return null;
  }
}

/**
 * Why a data dir stamped `dir` must not lead a cluster stamped `cluster` (null: it may). The data dir is stamped
 * before the cluster dir, so a leader that died in between left a data dir one generation ahead: that is fine.
 */
export function stampMismatch(dir: StateStamp | null, cluster: StateStamp | null): string | null {
  if (cluster === null) return null; // a new cluster (or one from before stamps): this data dir starts it
  if (dir === null) return `holds none of cluster ${cluster.cluster}'s hard state (its last leader wrote generation ${cluster.generation})`;
  if (dir.cluster !== cluster.cluster) return `holds the hard state of cluster ${dir.cluster}, not of cluster ${cluster.cluster}`;
  if (dir.generation < cluster.generation) {
    return `holds generation ${dir.generation} of the hard state, but the last leader wrote generation ${cluster.generation} elsewhere`;
  }
  return null;
}
