// The worker's state file, <workspace>/.galaxy/worker.json: what a restarted worker needs to re-adopt its running
// tasks instead of starting duplicates (the plan, each task's pid and start time, restarts), and the fencing epoch.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PodPlan } from "../core/pod-plan.ts";
import type { TaskSnapshot } from "./task-runner.ts";

export interface WorkerStateFile {
  epochSeen: number;
  plan: PodPlan | null;
  opId: string;
  failure: string;
  failedVersion: number;
  terminating: boolean;
  tasks: TaskSnapshot[];
}

export const stateFilePath = (workspace: string): string => join(workspace, ".galaxy", "worker.json");

export function loadState(workspace: string): WorkerStateFile | null {
  const path = stateFilePath(workspace);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as WorkerStateFile;
  } catch {
    return null; // torn or foreign: start afresh (AppMaster re-sends the plan)
  }
}

/** Atomic replace: a worker killed mid-write leaves the previous file. */
export function saveState(workspace: string, s: WorkerStateFile): void {
  const path = stateFilePath(workspace);
  mkdirSync(join(workspace, ".galaxy"), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(s));
  renameSync(tmp, path);
}
