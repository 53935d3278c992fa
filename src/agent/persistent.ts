// Persistent volumes on the agent's host (issue 21): each lives in <root>/persistent/<container>/<path> (volumes.ts)
// beside a small record of whose it is (<dir>.json), is never deleted with its container, and is reported to ResMan
// (AgentInfo.data) until ResMan says its job is gone (heartbeat reply drop_data): only then is it deleted, with a log
// line. Roots: each device's <device>/galaxy/<agent>, and <data>/volumes for an agent without devices.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentInfo } from "../rpc/types.ts";
import { deviceRoot, persistentRoot, type VolumeDevice, type VolumePlan } from "./volumes.ts";

type PersistentData = NonNullable<AgentInfo["data"]>[number];

export interface PersistentLayout {
  dataDir: string;
  agentKey: string;
  devices: readonly VolumeDevice[];
}

/** Every root that may hold persistent data, with its device ("" for the data directory). */
export function roots(l: PersistentLayout): { root: string; device: string }[] {
  return [...l.devices.map((d) => ({ root: deviceRoot(d.path, l.agentKey), device: d.path })), { root: join(l.dataDir, "volumes"), device: "" }];
}

/** Records whose data a persistent volume holds (beside it, so a restarted agent and ResMan learn it from the disk). */
export function recordPersistent(v: VolumePlan, containerId: string, groupId: string): void {
  if (!v.persistent) return;
  mkdirSync(v.hostPath, { recursive: true });
  const rec: PersistentData = {
    containerId, groupId, path: v.path, device: v.device ?? "", size: v.size, retentionMs: v.retentionMs ?? 0,
  };
  writeFileSync(`${v.hostPath}.json`, JSON.stringify(rec));
}

/** The persistent data on this host, from the records beside it (sorted by container, then path). */
export function scanPersistent(l: PersistentLayout): PersistentData[] {
  const out: PersistentData[] = [];
  for (const { root } of roots(l)) {
    const base = persistentRoot(root);
    for (const cid of list(base)) {
      for (const f of list(join(base, cid)).filter((x) => x.endsWith(".json"))) {
        try {
          const rec = JSON.parse(readFileSync(join(base, cid, f), "utf8")) as PersistentData;
          if (rec.containerId === cid && existsSync(join(base, cid, f.slice(0, -5)))) out.push(rec);
        } catch {
          /* a record being written, or broken: not reported, never deleted by a drop */
        }
      }
    }
  }
  return out.sort((a, b) => a.containerId.localeCompare(b.containerId) || a.path.localeCompare(b.path));
}

/** Deletes the persistent data of these containers (their job was removed), except any a live container uses. */
export function dropPersistent(l: PersistentLayout, containerIds: readonly string[], live: ReadonlySet<string>, log: (msg: string) => void): number {
  let n = 0;
  for (const cid of containerIds) {
    if (live.has(cid) || cid.includes("/") || cid.startsWith(".")) continue;
    for (const { root, device } of roots(l)) {
      const dir = join(persistentRoot(root), cid);
      if (!existsSync(dir)) continue;
      rmSync(dir, { recursive: true, force: true });
      log(`agent: removed the persistent data of ${cid} on ${device || "the data directory"} (its job was removed, its retention is over)`);
      n++;
    }
  }
  return n;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** What the heartbeat reports (rescanned when the agent's containers change, and every RESCAN_MS), and drops. */
export class PersistentReporter {
  private cache: PersistentData[] = [];
  private key = "\0";
  private at = 0;
  private dirty = true;

  constructor(
    private readonly l: PersistentLayout,
    private readonly log: (msg: string) => void,
  ) {}

  /**
   * `states`: "id:state" of each container the agent holds (a change may have made or ended persistent data). The
   * same array is returned until the data changes (the heartbeat sends a full report when it does).
   */
  data(states: readonly string[], now: number): PersistentData[] {
    const key = [...states].sort().join(",");
    if (this.dirty || key !== this.key || now - this.at >= RESCAN_MS) {
      this.dirty = false;
      const next = scanPersistent(this.l);
      if (JSON.stringify(next) !== JSON.stringify(this.cache)) this.cache = next; // the same array while nothing changed
      this.key = key;
      this.at = now;
    }
    return this.cache;
  }

  drop(containerIds: readonly string[], held: ReadonlySet<string>): void {
    if (containerIds.length === 0) return;
    if (dropPersistent(this.l, containerIds, held, this.log) > 0) this.dirty = true;
  }
}

const RESCAN_MS = 10_000;
