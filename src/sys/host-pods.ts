// What the agent tells the host worker (`galaxy appworker --host DIR`) about each container it serves: one file per
// container, DIR/pods/<container>.json, written by the agent (atomic rename), read by the worker at every scan.
//   written at create (and again when the container's init is made anew), with `stopMs` > 0 when the container is
//   being destroyed (the worker then stops its tasks, writes `.galaxy/worker.exit`, and the agent kills the cgroups);
//   removed once the container is gone. The worker's own exit status per pod is the same file the per-container
//   worker's wrapper writes, so the agent reads both the same way.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface HostPod {
  containerId: string;
  /** the environment the per-container worker would get (identity, token, ports, workspace, OOM counter) */
  env: Record<string, string>;
  /** host pid and /proc start time of the container's init (it holds the namespaces tasks are launched into) */
  initPid: number;
  initStart: number;
  namespaces: string[];
  /** > 0: the container is being destroyed; stop its tasks within this many ms */
  stopMs: number;
}

export const hostPodsDir = (dir: string): string => join(dir, "pods");

export function writeHostPod(dir: string, p: HostPod): void {
  const pods = hostPodsDir(dir);
  mkdirSync(pods, { recursive: true });
  const file = join(pods, `${p.containerId}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(p));
  renameSync(`${file}.tmp`, file);
}

export function removeHostPod(dir: string, containerId: string): void {
  rmSync(join(hostPodsDir(dir), `${containerId}.json`), { force: true });
}

/** Every pod file with its modification time (a changed file is read again); torn or foreign files are skipped. */
export function listHostPods(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  let names: string[];
  try {
    names = readdirSync(hostPodsDir(dir));
  } catch {
    return out;
  }
  for (const n of names) {
    if (!n.endsWith(".json")) continue;
    try {
      out.set(n.slice(0, -5), statSync(join(hostPodsDir(dir), n)).mtimeMs);
    } catch {
      /* removed meanwhile */
    }
  }
  return out;
}

export function readHostPod(dir: string, containerId: string): HostPod | null {
  try {
    const p = JSON.parse(readFileSync(join(hostPodsDir(dir), `${containerId}.json`), "utf8")) as HostPod;
    return p.containerId === containerId && p.initPid > 1 ? p : null;
  } catch {
    return null;
  }
}
