// A fleet of simulated agents in one process: each speaks the real agent protocol (RpcClient, ResMan/Heartbeat
// with full or delta reports, ResMan/WatchCaps blocking queries, epoch fencing, whole-cap-set replies) and holds
// caps without running anything.
//
//   pump every few ms ──► agents due (reply + interval passed, none in flight) ──► Heartbeat: full when ResMan may
//   not know what runs there (first, after a failure, want_full, every FULL_EVERY_MS), else the new caps' reports
//   (body cached until the agent's state changes) ──► reply: epoch fenced ──► caps changed? replace the cap set:
//   new caps are reported "running" in a heartbeat sent at once, caps that vanish are counted as revoked
//   registered agents also keep one WatchCaps parked at ResMan (answered when their caps change), as real ones do
//
// What it measures: replies per second, round-trip times, per-container times (cap received = placed, reply to the
// heartbeat that first reported it running = confirmed) for tracked groups, and revoked caps.
import { RpcClient, type DeepPartial } from "../rpc/index.ts";
import { KeepAliveConn } from "./keepalive.ts";
import type { AgentInfo, Cap, ContainerReport, HeartbeatReply } from "../rpc/types.ts";
import { newerCaps, WATCH_MS, WATCH_TIMEOUT_MS } from "../agent/core.ts";
import { FULL_EVERY_MS } from "../agent/report-delta.ts";
import { runningReport } from "./protocol.ts";
import { summarize, wallMs, type Summary } from "./stats.ts";

export interface SimFleetOptions {
  /** ResMan addresses, re-read often (leader file); the first is tried first. */
  resman: () => string[];
  secret: string;
  infos: AgentInfo[];
  /** Heartbeat interval; 0 takes the one ResMan's replies name. */
  intervalMs: number;
  /** Only heartbeat with full reports: no WatchCaps, no deltas, new caps reported at the next interval (the protocol before both). */
  heartbeatOnly: boolean;
  /** At most this many heartbeats in flight at once. */
  maxInFlight: number;
  /**
   * Keep-alive connections of the fleet's own, as real agents keep theirs: each agent's watch has its own, and
   * heartbeats take one from a pool of the fleet's (one per heartbeat in flight: 20,000 connections for 10,000
   * agents would pass the usual 20,000 open files of ResMan's process). False: through fetch's process-wide
   * pool, which keeps 64 idle sockets, so a fleet of thousands opens and closes thousands a second.
   */
  ownConnections?: boolean;
  timeoutMs?: number;
}

interface SimAgent {
  info: AgentInfo;
  epochSeen: number;
  capsEpoch: number;
  capsVersion: number;
  caps: Map<string, Cap>;
  reports: DeepPartial<ContainerReport>[];
  /** Reports of caps received since the last acknowledged heartbeat (a delta carries only these). */
  changed: DeepPartial<ContainerReport>[];
  /** The next heartbeat is full (first, after a failure, when ResMan asks, every FULL_EVERY_MS). */
  needFull: boolean;
  lastFullAt: number;
  body: Uint8Array<ArrayBuffer> | string | null;
  bodyFull: boolean;
  /** Tracked containers received but not yet reported running in an answered heartbeat. */
  unconfirmed: string[];
  nextAt: number;
  inFlight: boolean;
  answered: boolean;
  watching: boolean;
  /** This leader knows the agent in full (its last heartbeat was taken): only then is a watch worth parking. */
  watchReady: boolean;
  /** new caps came by a watch while a heartbeat was in flight: heartbeat again at once */
  ackPending: boolean;
  /** The agent's own watch connection (ownConnections), else null: fetch's pool. */
  watchConn: KeepAliveConn | null;
}

export interface FleetStats {
  agents: number;
  registered: number;
  windowSec: number;
  replies: number;
  /** Replies that carried the agent's whole cap set (capsChanged). */
  capReplies: number;
  /** WatchCaps answers with new caps, and watches parked now. */
  watchCapReplies: number;
  watching: number;
  errors: number;
  lastError: string;
  repliesPerSec: number;
  /** Connections opened per second by the fleet's own connections (-1: through fetch's pool, not counted). */
  connectsPerSec: number;
  rttMs: Summary;
  /** How late the fleet's pump timer fired: its own event-loop delay (part of every round trip above). */
  lagMs: Summary;
  inFlight: number;
  caps: number;
  /** Fewest and most caps on one agent. */
  capsPerAgent: [number, number];
  revoked: number;
  revokedIds: string[];
  epochs: number[];
}

export interface TrackedTimes {
  group: string;
  placed: number;
  confirmed: number;
  /** Milliseconds after `since` (the submit time), over the containers seen; max is the last one. */
  placedMs: Summary;
  confirmedMs: Summary;
  /** Containers whose cap came with a WatchCaps answer (the others with a heartbeat reply). */
  viaWatch: number;
}

export class SimFleet {
  readonly agents: SimAgent[];
  private readonly client: RpcClient;
  private timer: ReturnType<typeof setInterval> | null = null;
  private inFlight = 0;
  private intervalMs: number;
  private replyIntervalMs = 1000;
  private window = { start: wallMs(), connects: 0, replies: 0, capReplies: 0, watchCapReplies: 0, errors: 0, rtts: [] as number[], lags: [] as number[] };
  private watching = 0;
  private readonly cancel = new AbortController();
  private lastPump = 0;
  private pumpMs = 2;
  private lastError = "";
  private revoked: string[] = [];
  private readonly tracked = new Set<string>();
  private readonly placedAt = new Map<string, number>();
  private readonly confirmedAt = new Map<string, number>();
  private readonly viaWatch = new Set<string>();
  private cursor = 0;
  /** Agents with new caps to acknowledge: served before the round-robin, as each real agent sends its own at once. */
  private acks: SimAgent[] = [];
  /** Idle heartbeat connections (ownConnections), else null: fetch's pool. */
  private readonly beatConns: KeepAliveConn[] | null;
  /** Connections the fleet's own (ownConnections) have opened. */
  private readonly conns = { connects: 0 };

  constructor(private readonly o: SimFleetOptions) {
    this.intervalMs = o.intervalMs || 1000;
    this.client = new RpcClient({ addresses: o.resman, credentials: { secret: o.secret }, timeoutMs: o.timeoutMs ?? 10_000, maxRedirects: 1 });
    const now = wallMs();
    const own = o.ownConnections ?? true;
    this.beatConns = own ? [] : null;
    // The first heartbeats are spread over one interval, as agents started at random times would be.
    this.agents = o.infos.map((info, i) => ({
      info, epochSeen: 0, capsEpoch: 0, capsVersion: 0, caps: new Map(), reports: [], changed: [], needFull: true, lastFullAt: 0,
      body: null, bodyFull: false, unconfirmed: [],
      nextAt: now + (i / Math.max(1, o.infos.length)) * this.intervalMs, inFlight: false, answered: false, watching: false, watchReady: false, ackPending: false,
      watchConn: own ? new KeepAliveConn(this.conns) : null,
    }));
  }

  start(pumpMs = 2): void {
    this.pumpMs = pumpMs;
    if (!this.timer) this.timer = setInterval(() => this.pump(), pumpMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.cancel.abort();
    for (const a of this.agents) a.watchConn?.close();
    for (const c of this.beatConns ?? []) c.close();
  }

  /** Sends every due heartbeat, up to the in-flight cap, resuming where the last pump stopped. */
  pump(): void {
    const now = wallMs();
    // How late this pump runs: the fleet's own event-loop delay, which every round trip it measures includes.
    if (this.lastPump > 0) this.window.lags.push(Math.max(0, now - this.lastPump - this.pumpMs));
    this.lastPump = now;
    if (this.acks.length > 0) {
      const later: SimAgent[] = [];
      for (const a of this.acks) {
        if (a.inFlight) a.ackPending = true;
        else if (this.inFlight < this.o.maxInFlight) void this.beat(a);
        else later.push(a);
      }
      this.acks = later;
    }
    const n = this.agents.length;
    for (let k = 0; k < n && this.inFlight < this.o.maxInFlight; k++) {
      const a = this.agents[this.cursor]!;
      this.cursor = (this.cursor + 1) % n;
      if (!a.inFlight && a.nextAt <= now) void this.beat(a);
      if (a.watchReady && !a.watching && !this.o.heartbeatOnly) void this.watch(a);
    }
  }

  /** One WatchCaps, parked at ResMan until the agent's caps change or its wait ends; new caps are acknowledged at once. */
  private async watch(a: SimAgent): Promise<void> {
    a.watching = true;
    this.watching++;
    try {
      const reply = await this.client.call("ResMan/WatchCaps", {
        endpoint: a.info.endpoint, epochSeen: a.epochSeen, capsEpoch: a.capsEpoch, capsVersion: a.capsVersion, waitMs: WATCH_MS,
      }, { timeoutMs: WATCH_TIMEOUT_MS, signal: this.cancel.signal, firstOnly: true, transport: a.watchConn?.transport });
      if (this.apply(a, reply, wallMs(), true)) this.window.watchCapReplies++;
      if (a.changed.length > 0) { // new containers to report (a cap set that only moved to a new epoch has none)
        if (a.inFlight) a.ackPending = true;
        else this.acks.push(a);
      }
      a.watching = false;
    } catch {
      // as the real agent does: the next heartbeat is full (a broken watch is the first sign of a leader change),
      // and it watches again after one interval (the pump sees `watching` until then)
      if (!this.cancel.signal.aborted) {
        a.needFull = true;
        a.body = null;
        a.watchReady = false; // watch again once a heartbeat has told the (maybe new) leader what runs here
      }
      setTimeout(() => (a.watching = false), this.intervalMs);
    }
    this.watching--;
  }

  private async beat(a: SimAgent): Promise<void> {
    a.inFlight = true;
    this.inFlight++;
    const confirming = a.unconfirmed;
    a.unconfirmed = [];
    const start = wallMs();
    // as the real agent (agent/report-delta.ts): full when ResMan may not know what runs here, else what changed
    const full = this.o.heartbeatOnly || a.needFull || start - a.lastFullAt >= FULL_EVERY_MS;
    if (a.body === null || a.bodyFull !== full) {
      a.body = this.client.encodeRequest("ResMan/Heartbeat", {
        agent: a.info, epochSeen: a.epochSeen, capsEpoch: a.capsEpoch, capsVersion: a.capsVersion, full, containers: full ? a.reports : a.changed,
      });
      a.bodyFull = full;
    }
    const body = a.body;
    const sent = a.changed;
    a.changed = [];
    if (sent.length > 0) a.body = null;
    let ack = false;
    const conn = this.beatConns === null ? null : (this.beatConns.pop() ?? new KeepAliveConn(this.conns));
    try {
      const reply = await this.client.callEncoded("ResMan/Heartbeat", body, { transport: conn?.transport });
      if (full) {
        a.needFull = false;
        a.lastFullAt = start;
      }
      a.watchReady = !reply.wantFull && reply.watch; // as the real agent: no watches while a new leader recovers
      if (reply.wantFull) {
        a.needFull = true;
        a.ackPending = true; // sent at once, as the real agent does
      }
      const end = wallMs();
      this.window.replies++;
      this.window.rtts.push(end - start);
      a.answered = true;
      for (const id of confirming) if (!this.confirmedAt.has(id)) this.confirmedAt.set(id, end);
      if (reply.capsChanged) this.window.capReplies++;
      ack = this.apply(a, reply, end) && !this.o.heartbeatOnly && a.changed.length > 0;
      if (reply.intervalMs > 0) this.replyIntervalMs = reply.intervalMs;
      if (!this.o.intervalMs) this.intervalMs = this.replyIntervalMs;
    } catch (e) {
      this.window.errors++;
      this.lastError = (e as Error).message;
      a.unconfirmed.push(...confirming);
      a.changed = [...sent, ...a.changed];
      a.needFull = true; // its fate is unknown: the next report is full
      a.body = null;
      // as the real agent does: try again after one interval
    }
    if (conn !== null) this.beatConns!.push(conn);
    a.inFlight = false;
    this.inFlight--;
    a.nextAt = wallMs() + this.intervalMs;
    if (a.ackPending || ack) this.acks.push(a); // the new caps reported at once (then the interval again)
    a.ackPending = false;
  }

  /** Applies a reply as a real agent does; returns whether the cap set changed. */
  private apply(a: SimAgent, reply: HeartbeatReply, now: number, byWatch = false): boolean {
    if (reply.epoch < a.epochSeen) return false; // fencing: a deposed leader's reply
    if (reply.epoch > a.epochSeen) {
      a.epochSeen = reply.epoch;
      a.body = null;
    }
    if (!reply.capsChanged || !newerCaps(reply, a.capsEpoch, a.capsVersion)) return false;
    const next = new Map<string, Cap>();
    for (const cap of reply.caps) {
      next.set(cap.containerId, cap);
      if (!a.caps.has(cap.containerId) && this.tracked.has(cap.groupId)) {
        if (!this.placedAt.has(cap.containerId)) {
          this.placedAt.set(cap.containerId, now);
          if (byWatch) this.viaWatch.add(cap.containerId);
        }
        a.unconfirmed.push(cap.containerId);
      }
    }
    for (const id of a.caps.keys()) if (!next.has(id)) this.revoked.push(id);
    const old = a.caps;
    a.caps = next;
    a.capsEpoch = reply.epoch;
    a.capsVersion = reply.capsVersion;
    a.reports = [...next.values()].map((c) => runningReport(c, c.grantedAt || 1));
    for (const c of next.values()) if (old.get(c.containerId)?.grantedAt !== c.grantedAt) a.changed.push(runningReport(c, c.grantedAt || 1));
    a.body = null;
    return true;
  }

  /** Heartbeat every `ms` from now on (a load test above the interval ResMan asks for); 0 goes back to ResMan's. */
  setIntervalMs(ms: number): void {
    this.o.intervalMs = ms;
    this.intervalMs = ms || this.replyIntervalMs;
  }

  track(groups: string[]): void {
    for (const g of groups) this.tracked.add(g);
  }

  /** Placement and confirmation times of a tracked group's containers, relative to `since` (wall ms). */
  trackedTimes(group: string, since: number): TrackedTimes {
    const placed: number[] = [];
    const confirmed: number[] = [];
    const prefix = `${group}.`;
    for (const [id, t] of this.placedAt) if (id.startsWith(prefix)) placed.push(t - since);
    for (const [id, t] of this.confirmedAt) if (id.startsWith(prefix)) confirmed.push(t - since);
    let viaWatch = 0;
    for (const id of this.viaWatch) if (id.startsWith(prefix)) viaWatch++;
    return {
      group, placed: placed.length, confirmed: confirmed.length, placedMs: summarize(placed), confirmedMs: summarize(confirmed), viaWatch,
    };
  }

  /** Counters since the last reset; `reset` starts a new measurement window. */
  stats(reset: boolean): FleetStats {
    const now = wallMs();
    const w = this.window;
    const windowSec = (now - w.start) / 1000;
    let caps = 0;
    let registered = 0;
    let fewest = Infinity;
    let most = 0;
    const epochs = new Set<number>();
    for (const a of this.agents) {
      caps += a.caps.size;
      fewest = Math.min(fewest, a.caps.size);
      most = Math.max(most, a.caps.size);
      if (a.answered) registered++;
      epochs.add(a.epochSeen);
    }
    const out: FleetStats = {
      agents: this.agents.length, registered, windowSec, replies: w.replies, capReplies: w.capReplies,
      watchCapReplies: w.watchCapReplies, watching: this.watching, errors: w.errors, lastError: this.lastError,
      repliesPerSec: windowSec > 0 ? w.replies / windowSec : 0,
      connectsPerSec: this.beatConns === null ? -1 : windowSec > 0 ? (this.conns.connects - w.connects) / windowSec : 0, rttMs: summarize(w.rtts), lagMs: summarize(w.lags), inFlight: this.inFlight, caps,
      capsPerAgent: [fewest === Infinity ? 0 : fewest, most],
      revoked: this.revoked.length, revokedIds: this.revoked.slice(0, 20), epochs: [...epochs].sort((x, y) => x - y),
    };
    if (reset) this.window = { start: now, connects: this.conns.connects, replies: 0, capReplies: 0, watchCapReplies: 0, errors: 0, rtts: [], lags: [] };
    return out;
  }
}
