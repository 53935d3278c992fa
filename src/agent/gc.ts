// Workspaces of failed containers outlive them for --gc-delay, so `galaxy logs` can still read why they failed.
// The list is in the agent's LMDB (table "kept"), so a restart neither forgets nor leaks them.
import { rmSync } from "node:fs";
import type { Store, Table } from "../store/index.ts";

export interface KeptWorkspace {
  containerId: string;
  workspace: string;
  deleteAt: number;
  /** the user whose container it was (who may read its logs) */
  owner: string;
}

/** Those due for deletion at `now` (pure). */
export function dueForDeletion(kept: readonly KeptWorkspace[], now: number): KeptWorkspace[] {
  return kept.filter((k) => k.deleteAt <= now);
}

export class WorkspaceGc {
  private readonly table: Table<KeptWorkspace>;

  constructor(
    private readonly store: Store,
    private readonly log: (msg: string) => void,
  ) {
    this.table = store.table<KeptWorkspace>("kept");
  }

  keep(k: KeptWorkspace): void {
    this.store.writeSync((tx) => tx.put(this.table, k.containerId, k));
  }

  find(containerId: string): KeptWorkspace | undefined {
    return this.table.get(containerId);
  }

  list(): KeptWorkspace[] {
    return this.table.list();
  }

  /** Deletes the workspaces whose time is up; returns how many. */
  sweep(now: number): number {
    const due = dueForDeletion(this.table.list(), now);
    for (const k of due) {
      rmSync(k.workspace, { recursive: true, force: true });
      this.store.writeSync((tx) => tx.delete(this.table, k.containerId));
      this.log(`agent: deleted the kept workspace of failed container ${k.containerId}`);
    }
    return due.length;
  }
}
