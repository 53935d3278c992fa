// Workspaces of ended containers (finished, failed, removed) outlive them for --gc-delay, so `galaxy logs` can still
// read what they printed and how their tasks ended. The list is in the agent's LMDB (table "kept"), so a restart
// neither forgets nor leaks them.
//
//   destroyed ─(keep: tasks' last states read from the worker's state file; workspace moved to containers/.kept/)─►
//   kept ─(deleteAt: workspace deleted)─► collected (a tombstone: `galaxy logs` says the logs were collected)
//        ─(FORGET_AFTER_MS later)─► forgotten
//
// The workspace moves aside so that a new container of the same id (a pod recreated on the same agent) starts in
// an empty workspace, and the sweep of the old one never deletes the new one's files. A failed container (or one
// with a task that failed) is kept whole, for its core files and what it left; any other keeps only logs/ and
// .galaxy/ (its worker's state), so a removed service's packages and data do not hold the disk for the delay.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { KeptContainer, TaskStatus } from "../rpc/types.ts";
import type { Store, Table } from "../store/index.ts";

/** How long the record of a collected workspace is kept, so `galaxy logs` can say the logs were collected. */
export const FORGET_AFTER_MS = 24 * 3600_000;

/** A task as its worker last recorded it (the worker's state file, <workspace>/.galaxy/worker.json). */
export interface KeptTask {
  name: string;
  state: string;
  exitCode: number;
  signal: string;
  message: string;
  restarts: number;
  startedAt: number;
}

export interface KeptWorkspace {
  containerId: string;
  workspace: string;
  deleteAt: number;
  /** the user whose container it was (who may read its logs) */
  owner: string;
  /** when its container was destroyed (0: recorded by an older agent) */
  keptAt?: number;
  /** when its workspace was deleted; 0 or absent while it is still there */
  collectedAt?: number;
  /** why the container failed, when it did */
  failure?: string;
  tasks?: KeptTask[];
}

/** Those whose workspace is due for deletion at `now` (pure). */
export function dueForDeletion(kept: readonly KeptWorkspace[], now: number): KeptWorkspace[] {
  return kept.filter((k) => !k.collectedAt && k.deleteAt <= now);
}

/** Collected ones whose record may go at `now` (pure). */
export function dueForForgetting(kept: readonly KeptWorkspace[], now: number): KeptWorkspace[] {
  return kept.filter((k) => !!k.collectedAt && k.collectedAt + FORGET_AFTER_MS <= now);
}

/** Where a workspace is kept: containers/.kept/<id>-<keptAt>. */
export function keptPath(workspace: string, keptAt: number): string {
  return join(dirname(workspace), ".kept", `${basename(workspace)}-${keptAt}`);
}

/** The tasks of the worker's state file in a workspace ([] when it has none or it cannot be read). */
export function readWorkerTasks(workspace: string): KeptTask[] {
  try {
    const s = JSON.parse(readFileSync(join(workspace, ".galaxy", "worker.json"), "utf8")) as { tasks?: Partial<KeptTask>[] };
    return (s.tasks ?? []).map((t) => ({
      name: String(t.name ?? ""), state: String(t.state ?? ""), exitCode: Number(t.exitCode ?? -1), signal: String(t.signal ?? ""),
      message: String(t.message ?? ""), restarts: Number(t.restarts ?? 0), startedAt: Number(t.startedAt ?? 0),
    }));
  } catch {
    return [];
  }
}

/** Pure: whether a workspace is kept whole (its container failed, or a task failed or exited non-zero) or only its logs and worker state. */
export function keepsWhole(failure: string, tasks: readonly KeptTask[]): boolean {
  return failure !== "" || tasks.some((t) => t.state === "failed" || (t.exitCode > 0 && !t.signal));
}

/** What a kept workspace holds when it is not kept whole. */
const ALWAYS_KEPT = new Set(["logs", ".galaxy"]);

/** The wire form of a kept workspace (pure). */
export function toKeptContainer(k: KeptWorkspace): KeptContainer {
  return {
    containerId: k.containerId, keptAt: k.keptAt ?? 0, deleteAt: k.deleteAt, collectedAt: k.collectedAt ?? 0, failure: k.failure ?? "",
    tasks: (k.tasks ?? []).map((t): TaskStatus => ({
      name: t.name, state: t.state, pid: 0, exitCode: t.exitCode, signal: t.signal, coreDumped: false, restarts: t.restarts,
      message: t.message, startedAt: t.startedAt, version: "", healthy: false,
    })),
  };
}

export interface KeepRequest {
  containerId: string;
  workspace: string;
  owner: string;
  /** why it failed ("" when it did not) */
  failure: string;
}

export class WorkspaceGc {
  private readonly table: Table<KeptWorkspace>;

  constructor(
    private readonly store: Store,
    private readonly log: (msg: string) => void,
  ) {
    this.table = store.table<KeptWorkspace>("kept");
  }

  private readonly pending = new Map<string, KeptWorkspace & { forgotten?: boolean }>();

  /** Moves a destroyed container's workspace aside and records it until `now + delayMs` (replacing an older one). */
  keep(r: KeepRequest, now: number, delayMs: number): KeptWorkspace {
    const tasks = readWorkerTasks(r.workspace);
    let workspace = r.workspace;
    if (existsSync(r.workspace)) {
      try {
        const aside = keptPath(r.workspace, now);
        mkdirSync(dirname(aside), { recursive: true });
        renameSync(r.workspace, aside);
        workspace = aside;
        if (!keepsWhole(r.failure, tasks)) for (const e of readdirSync(aside)) if (!ALWAYS_KEPT.has(e)) rmSync(join(aside, e), { recursive: true, force: true });
      } catch (e) {
        this.log(`agent: cannot move the workspace of ${r.containerId} aside (${(e as Error).message}); keeping it in place`);
      }
    }
    const pending = this.pending.get(r.containerId);
    const older = pending ? (pending.forgotten ? undefined : pending) : this.table.get(r.containerId);
    if (older && older.workspace !== workspace && !older.collectedAt) rmSync(older.workspace, { recursive: true, force: true });
    const k: KeptWorkspace = { containerId: r.containerId, workspace, deleteAt: now + delayMs, owner: r.owner, keptAt: now, collectedAt: 0, failure: r.failure, tasks };
    this.put(k);
    return k;
  }

  /**
   * Records are committed off the event loop (one per destroy; a synchronous commit each held heartbeats under churn),
   * in order, and read from memory until they are.
   */
  private put(k: KeptWorkspace): void {
    this.pending.set(k.containerId, k);
    this.track(this.store.write((tx) => tx.put(this.table, k.containerId, k))
      .catch((e) => this.log(`agent: cannot record the kept workspace of ${k.containerId}: ${(e as Error).message}`))
      .finally(() => this.pending.get(k.containerId) === k && this.pending.delete(k.containerId)));
  }

  private writes: Promise<unknown> = Promise.resolve();

  private track(w: Promise<unknown>): void {
    this.writes = this.writes.then(() => w);
  }

  /** Resolves once every record so far is on disk. */
  async durable(): Promise<void> {
    await this.writes;
  }

  /** A kept workspace that is still there. */
  find(containerId: string): KeptWorkspace | undefined {
    const pending = this.pending.get(containerId);
    const k = pending ? (pending.forgotten ? undefined : pending) : this.table.get(containerId);
    return k && !k.collectedAt ? k : undefined;
  }

  /** Every record, collected ones included. */
  list(): KeptWorkspace[] {
    const stored = this.table.list().filter((k) => !this.pending.has(k.containerId));
    return [...stored, ...[...this.pending.values()].filter((k) => !k.forgotten)];
  }

  /** Deletes the workspaces whose time is up (their records stay, collected) and forgets old records; returns how many were deleted. */
  sweep(now: number): number {
    const due = dueForDeletion(this.list(), now);
    for (const k of due) {
      rmSync(k.workspace, { recursive: true, force: true });
      this.put({ ...k, collectedAt: now });
      this.log(`agent: deleted the kept workspace of ${k.containerId}`);
    }
    const old = dueForForgetting(this.list(), now);
    for (const k of old) this.pending.set(k.containerId, { ...k, forgotten: true });
    if (old.length > 0) {
      this.track(this.store.write((tx) => old.forEach((k) => tx.delete(this.table, k.containerId)))
        .catch((e) => this.log(`agent: cannot forget kept workspaces: ${(e as Error).message}`))
        .finally(() => old.forEach((k) => this.pending.get(k.containerId)?.forgotten && this.pending.delete(k.containerId))));
    }
    return due.length;
  }
}
