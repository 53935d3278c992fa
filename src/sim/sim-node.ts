// An agent host in the simulation. What survives an agent crash: its checkpoint (caps, highest epoch seen) and its
// containers (processes). What does not: the agent's memory (the cap version it holds). Each container start gets
// a new incarnation number, so "the same process" is checkable.
import { acceptEpoch, diffCaps, newerCaps, WATCH_MS, type ContainerCheckpoint } from "../agent/core.ts";
import { ReportDelta } from "../agent/report-delta.ts";
import type { Cap, ContainerReport, HeartbeatReply, HeartbeatRequest, WatchCapsRequest } from "../rpc/types.ts";

export interface SimContainer {
  cap: Cap;
  incarnation: number;
  startedAt: number;
  /** Its worker terminated (told so by AppMaster): the container's first process ended, the agent reports it exited. */
  exited?: boolean;
}

export interface ContainerEvent {
  at: number;
  agent: string;
  containerId: string;
  groupId: string;
  jobType: string;
  kind: "start" | "stop";
  incarnation: number;
}

export class SimNode {
  readonly checkpoint = new Map<string, Cap>();
  readonly containers = new Map<string, SimContainer>();
  epochSeen = 0;
  /** A WatchCaps of this agent is parked at ResMan. */
  watching = false;
  /** Which watch is the current one (an answer to an older one, e.g. from before an agent restart, is ignored). */
  watchSeq = 0;
  private capsEpoch = 0;
  private capsVersion = 0;
  /** Which reports go out: the agent's real delta logic (full only when ResMan may not know what runs here). */
  private delta = new ReportDelta();

  constructor(
    readonly endpoint: string,
    private readonly nextIncarnation: () => number,
    private readonly record: (e: ContainerEvent) => void,
  ) {}

  /** The agent process restarts: its memory is gone, its checkpoint and containers are not. */
  restartAgent(): void {
    this.delta = new ReportDelta();
    this.watching = false;
    this.watchSeq++;
    this.capsEpoch = 0;
    this.capsVersion = 0;
  }

  request(now: number): HeartbeatRequest {
    const reports: ContainerReport[] = [...this.checkpoint.values()].map((cap) => ({
      containerId: cap.containerId, groupId: cap.groupId, state: !this.containers.has(cap.containerId) ? "creating" : this.containers.get(cap.containerId)!.exited ? "exited" : "running",
      pid: this.containers.get(cap.containerId)?.incarnation ?? 0, startedAt: this.containers.get(cap.containerId)?.startedAt ?? 0,
      message: "", usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, cap, exitCode: 0,
    }));
    return {
      agent: {
        endpoint: this.endpoint, pool: "default", labels: [], total: { millicores: 8000, memory: 16 * 1024 ** 3, disk: 1024 ** 4, ssd: 0 },
        portMin: 20000, portMax: 29999, isolation: "none", hostname: this.endpoint, version: "sim", startedAt: 0, maxBatch: 0, volumes: [], data: [], cannotEnforce: [],
      },
      epochSeen: this.epochSeen, capsEpoch: this.capsEpoch, capsVersion: this.capsVersion, ...this.delta.next(reports, now),
      usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, pressure: false,
    } as HeartbeatRequest;
  }

  /** The heartbeat was answered (its reports are known to ResMan), or not; true when ResMan wants the full report. */
  answered(reply: HeartbeatReply | null): boolean {
    if (!reply) {
      this.delta.failed();
      return false;
    }
    this.delta.commit();
    if (reply.wantFull) this.delta.wantFull();
    return reply.wantFull;
  }

  watchRequest(): WatchCapsRequest {
    return { endpoint: this.endpoint, epochSeen: this.epochSeen, capsEpoch: this.capsEpoch, capsVersion: this.capsVersion, waitMs: WATCH_MS };
  }

  /**
   * Applies a heartbeat or watch reply as the real agent does: fencing, then the whole cap set (checkpoint first)
   * unless it is older than the one held. Returns whether the cap set changed.
   */
  apply(reply: HeartbeatReply, now: number): boolean {
    if (!acceptEpoch(this.epochSeen, reply.epoch)) return false;
    this.epochSeen = reply.epoch;
    if (!reply.capsChanged || !newerCaps(reply, this.capsEpoch, this.capsVersion)) return false;
    const held = new Map<string, ContainerCheckpoint>();
    for (const [id, cap] of this.checkpoint) held.set(id, { id, cap, state: "running" } as ContainerCheckpoint);
    const { create, destroy } = diffCaps(held, reply.caps);
    for (const cap of create) {
      this.checkpoint.set(cap.containerId, cap);
      const c = { cap, incarnation: this.nextIncarnation(), startedAt: now };
      this.containers.set(cap.containerId, c);
      this.record({ at: now, agent: this.endpoint, containerId: cap.containerId, groupId: cap.groupId, jobType: cap.jobType, kind: "start", incarnation: c.incarnation });
    }
    for (const id of destroy) {
      const c = this.containers.get(id);
      this.checkpoint.delete(id);
      this.containers.delete(id);
      if (c) this.record({ at: now, agent: this.endpoint, containerId: id, groupId: c.cap.groupId, jobType: c.cap.jobType, kind: "stop", incarnation: c.incarnation });
    }
    this.capsEpoch = reply.epoch;
    this.capsVersion = reply.capsVersion;
    return true;
  }
}
