// ResManCore: the resource manager's decisions as a state machine. Every input (heartbeat, request, tick) takes
// `now` and returns the hard-state writes to commit before the answer goes out (persist, then send).
//
// Each input returns an Out (outbox.ts): the writes to persist, then what to send (caps changed per agent, hint
// groups touched); the shell does both, in that order, then calls advance(). Operators' changes (core-admin.ts) come
// in through admin().
//
//   heartbeat ──► register agent ──► reconcile its reports with placement (adopt / update / hold orphans)
//             ──► pressure: evict a best-effort container ──► reply with its whole cap set when it is behind
//   request   ──► admission (pools, grants, quota) ──► groups (hard) ──► containers pending in placement
//   tick      ──► end recovery window ──► end safe mode ──► agent timeouts (offline revoked, online lost)
//             ──► moves (drain, lost labels, pool changes; core-moves.ts) ──► schedule (core-schedule.ts)
import { InvalidError, NotFoundError, PermissionDeniedError, StaleEpochError } from "../core/errors.ts";
import type { Cap, GroupSpec, HeartbeatReply, HeartbeatRequest, Hint } from "../rpc/types.ts";
import { emptyResources, isJobType, isOnline } from "../core/domain.ts";
import { isBatchType } from "../scheduler/index.ts";
import { profileOf } from "./profiles.ts";
import { maybeRelievePressure } from "./core-admin.ts";
import type { CoreState } from "./core-state.ts";
import { applyMoves, dropLeavingOn, moveMakeBeforeBreak } from "./core-moves.ts";
import { GroupMap } from "./group-map.ts";
import { newContainer, reconcileReports, sameAgentInfo } from "./core-reports.ts";
import { Outbox, type Out } from "./outbox.ts";
import { HintVersions } from "./hint-versions.ts";
import { dataToDrop } from "./persistent.ts";
import { adoptedCharge, schedule } from "./core-schedule.ts";
import { PlacementTable } from "./placement.ts";
import { checkQuota, usageOf } from "./quotas.ts";
import {
  agentHard, containerId, ContainerRec, type AgentHard, type AgentRec, type GroupRec, type QuotaRec, type ResManConfig, type Write,
} from "./state.ts";
import { UserDirectory, type Action } from "./users.ts";

export interface HardState {
  agents: AgentHard[];
  groups: GroupRec[];
  pools: string[];
  quotas?: QuotaRec[];
  /** Safe mode entered by an operator (persisted in meta). */
  safeMode?: boolean;
}

export type SafeMode = "off" | "auto" | "manual";

export type { Out } from "./outbox.ts";
export { newContainer, sameAgentInfo } from "./core-reports.ts";

export class ResManCore implements CoreState {
  readonly agents = new Map<string, AgentRec>();
  readonly groups = new GroupMap();
  readonly pools = new Set<string>();
  readonly quotas = new Map<string, QuotaRec>();
  readonly placement: PlacementTable;
  /** Per-group hint versions: every change a hint shows bumps its group (placement's choke point, reports, lost). */
  readonly hintVersions = new HintVersions((g) => this.placement.containers.sizeOf(g) > 0);
  /** Agents whose containers may have to move (draining, labels or pool changed); checked every tick. */
  private readonly moving = new Set<string>();
  recovering = true;
  /** Bumped whenever an agent is added or removed (the scheduler's agent views are rebuilt then). */
  agentSet = 0;
  safeMode: SafeMode;
  /** The scheduler runs at the next tick (else only every retryMs while containers are pending). */
  private scheduleDirty = true;
  /** What to send, gathered until advance(): agents whose caps changed, groups whose hints changed. */
  private readonly outbox = new Outbox();
  lastScheduleAt = 0;
  seed = 1;
  /**
   * After a failover with groups on disk, nothing of theirs is scheduled until AppMaster has re-sent its full
   * requests and hints (SyncGroups): only AppMaster knows where a container ran whose agent has not reported yet, and
   * placing it elsewhere before that would start a second copy of an online service (Fuxi cases 11, 13, 17).
   */
  awaitingAm: boolean;
  /** Highest AppMaster epoch seen: requests from a lower one come from a deposed AppMaster and are refused. */
  amEpochSeen = 0;
  private readonly amWaitUntil: number;
  private recoveryUntil: number;
  private readonly safeModeUntil: number;

  constructor(
    readonly cfg: ResManConfig,
    readonly epoch: number,
    hard: HardState,
    now: number,
    readonly users: UserDirectory = new UserDirectory([], []),
  ) {
    this.placement = new PlacementTable((g) => isBatchType(this.groups.get(g)?.spec.jobType ?? ""), (g) => (this.hintVersions.touch(g), this.outbox.noteHintGroup(g)), (g) => profileOf(this.groups.get(g)?.spec));
    for (const p of hard.pools) this.pools.add(p);
    for (const q of hard.quotas ?? []) this.quotas.set(q.user, q);
    for (const g of hard.groups) this.groups.set(g.spec.id, g);
    for (const a of hard.agents) {
      this.agents.set(a.endpoint, { ...a, lastHeartbeat: now, dead: false, reported: false, capsVersion: 1, usage: null, pressure: false, idle: emptyResources() });
      if (a.admin === "draining") this.moving.add(a.endpoint);
    }
    for (const g of this.groups.values()) this.ensureContainers(g);
    this.recoveryUntil = now + cfg.recoveryMs;
    this.awaitingAm = hard.groups.length > 0;
    this.amWaitUntil = now + cfg.amWaitMs;
    this.safeModeUntil = now + cfg.safeModeTimeoutMs;
    this.safeMode = hard.safeMode ? "manual" : cfg.safeModeFraction > 0 ? "auto" : "off";
  }

  // ───────── agents ─────────

  heartbeat(req: HeartbeatRequest, now: number): Out & { reply: HeartbeatReply } {
    if (req.epochSeen > this.epoch) throw new StaleEpochError(this.epoch, req.epochSeen);
    const writes: Write[] = [];
    const rec = this.registerAgent(req, now, writes);
    if (!req.full && (!rec.reported || rec.dead)) {
      // Only changes, from an agent this leader does not know in full (it took over, or declared the agent dead):
      // nothing is decided on a partial view, not even liveness. The agent sends its full report at once.
      return { ...this.outbox.out(writes), reply: { ...this.nothingNew(rec), wantFull: true } };
    }
    rec.lastHeartbeat = now;
    if (!rec.reported) this.noteCapsChanged(rec.endpoint); // ResMan can now speak for it (a parked watch may be answered)
    rec.reported = true;
    rec.usage = req.usage;
    if (rec.dead) {
      rec.dead = false;
      this.noteScheduleNeeded();
      this.noteCapsChanged(rec.endpoint);
    }
    if (req.full || req.containers.length > 0) reconcileReports(this, rec, req.containers, now, req.full);
    maybeRelievePressure(this, rec, req.pressure);
    return { ...this.outbox.out(writes), reply: { ...this.capsReply(rec, req.capsEpoch, req.capsVersion), dropData: dataToDrop(this, rec, now) } };
  }

  get mayMove(): ReadonlySet<string> {
    return this.moving;
  }

  noteMayMove(endpoint: string): void {
    this.moving.add(endpoint);
  }

  noteScheduleNeeded(): void {
    this.scheduleDirty = true;
  }

  /** Something an agent's parked watch waits on changed: its cap set, or whether ResMan can speak for it. */
  noteCapsChanged(endpoint: string): void {
    this.outbox.noteCapsChanged(endpoint);
  }

  /** What is still to send (no writes): caps changed and hint groups since the last advance. */
  ready(): Out {
    return this.outbox.out();
  }

  /** The shell persisted and sent an Out: what to send starts again. */
  advance(): void {
    this.outbox.advance();
  }

  /** An operator's change to agents (core-admin.ts: offline, drain, remove, pool, labels) as an input. */
  admin(change: (s: CoreState) => Write[]): Out {
    return this.outbox.out(change(this));
  }

  /** An operator's decision that writes nothing (forced preemption, rebalance marks) as an input, with its answer. */
  decide<T>(change: (s: CoreState) => T): Out & { result: T } {
    const result = change(this);
    return { ...this.outbox.out(), result };
  }

  /** Whether an agent holding the cap set (capsEpoch, capsVersion) is behind ResMan's. */
  capsBehind(rec: AgentRec, capsEpoch: number, capsVersion: number): boolean {
    return capsEpoch !== this.epoch || capsVersion !== rec.capsVersion;
  }

  /** A new cap set for the agent: its version moves on, and its parked watch (caps-watch.ts) is looked at. */
  bumpCaps(a: AgentRec): void {
    a.capsVersion++;
    this.noteCapsChanged(a.endpoint);
  }

  /** An answer that changes nothing at the agent. */
  nothingNew(rec: AgentRec): HeartbeatReply {
    return { epoch: this.epoch, capsVersion: rec.capsVersion, capsChanged: false, caps: [], wantFull: false, intervalMs: this.cfg.heartbeatIntervalMs, watch: !this.recovering, dropData: [] };
  }

  /** The answer to an agent holding (capsEpoch, capsVersion): its whole cap set when behind, else nothing new. */
  capsReply(rec: AgentRec, capsEpoch: number, capsVersion: number): HeartbeatReply {
    const behind = this.capsBehind(rec, capsEpoch, capsVersion);
    return {
      epoch: this.epoch,
      capsVersion: rec.capsVersion,
      capsChanged: behind,
      caps: behind ? this.capsFor(rec.endpoint) : [],
      wantFull: false,
      intervalMs: this.cfg.heartbeatIntervalMs,
      watch: !this.recovering,
      dropData: [],
    };
  }

  /** The first heartbeat registers an agent in the pool it names; later its pool and labels are the operator's. */
  private registerAgent(req: HeartbeatRequest, now: number, writes: Write[]): AgentRec {
    const info = req.agent;
    if (!info.endpoint) throw new InvalidError("heartbeat without an agent endpoint");
    let rec = this.agents.get(info.endpoint);
    if (!rec) {
      const pool = info.pool || "default";
      if (!this.pools.has(pool)) {
        if (!this.cfg.autoPool) throw new InvalidError(`pool ${pool} does not exist; create it with \`galaxy pool add ${pool}\``);
        this.pools.add(pool);
        writes.push({ table: "pools", key: pool, value: { name: pool, createdAt: now } });
      }
      // An agent removed and back within this epoch holds a cap set of this epoch: count on from its version, as
      // agents never take an older set (heartbeat and watch replies can cross).
      const capsVersion = req.capsEpoch === this.epoch ? req.capsVersion + 1 : 1;
      rec = { endpoint: info.endpoint, info, pool, labels: [...info.labels], admin: "active", registeredAt: now,
        lastHeartbeat: now, dead: false, reported: req.full, capsVersion, usage: null, pressure: false, idle: emptyResources() };
      this.agents.set(info.endpoint, rec);
      this.agentSet++;
      writes.push({ table: "agents", key: rec.endpoint, value: agentHard(rec) });
      this.noteScheduleNeeded();
    } else if (req.full && !sameAgentInfo(rec.info, info)) {
      // Compared on full reports only (5% of a heartbeat's cost when done on every one): an agent's info is fixed
      // for its process's life (agentInfo() at start), and a started agent's first heartbeat is full; a full report
      // also comes at least every FULL_EVERY_MS.
      rec.info = info;
      writes.push({ table: "agents", key: rec.endpoint, value: agentHard(rec) });
      this.noteScheduleNeeded();
    } else if (req.full) rec.info = info; // only devices' free space differs: shown, not worth a write
    return rec;
  }

  capsFor(endpoint: string): Cap[] {
    return this.placement.ofAgent(endpoint).map((c) => this.capOf(c));
  }

  private capOf(c: ContainerRec): Cap {
    const g = this.groups.get(c.group)?.spec;
    return {
      containerId: c.id, groupId: c.group, jobType: g?.jobType ?? "service", resources: c.resources, ports: c.ports,
      volumes: g?.volumes ?? [], user: g?.user ?? "", epoch: this.epoch, grantedAt: c.grantedAt,
      env: { ...(g?.env ?? {}), GALAXY_JOB_ID: c.group, GALAXY_POD_ID: c.id }, bindings: c.bindings,
      container: g?.container ?? NO_OPTIONS,
    };
  }

  /** Takes a container off its agent on purpose: back to pending, never adopted back from that agent. */
  evict(c: ContainerRec, message: string, preemptedBy = ""): void {
    const from = c.agent;
    if (!from) return;
    const a = this.agents.get(from);
    if (a) this.bumpCaps(a);
    this.placement.unassign(c);
    const g = this.groups.get(c.group);
    if (g) c.resources = g.spec.resources; // placed again with what its group asks now (an update may recreate it)
    c.evictedFrom = from;
    c.message = message;
    c.preemptedBy = preemptedBy;
    if (preemptedBy) c.state = "preempted";
    this.noteScheduleNeeded();
  }

  // ───────── groups (AppMaster's requests) ─────────

  /** Creates (or replaces) a group after the admission checks: pools exist, the user's grants, the user's quota. */
  createGroup(spec: GroupSpec, now: number): Out {
    const existing = this.groups.get(spec.id);
    // The same request again (AppMaster's submit racing its own sync loop) or one that changes only what AppMaster
    // decides itself (blacklist, released containers, its request version) asks nothing new of the user.
    if (!existing || !sameUserRequest(existing.spec, spec)) this.admit(spec, existing ? "update" : "submit", existing?.spec);
    return this.outbox.out(this.applyGroup(spec, now));
  }

  updateGroup(spec: GroupSpec, now: number): Out {
    return this.createGroup(spec, now);
  }

  scaleGroup(id: string, replica: number, now: number): Out {
    const g = this.mustGroup(id);
    const spec = { ...g.spec, replica };
    this.admit(spec, "update", g.spec);
    return this.outbox.out(this.applyGroup(spec, now));
  }

  /** Every admission check of a request, in the order a user would fix them. */
  admit(spec: GroupSpec, action: Action, prev: GroupSpec | undefined): void {
    validateGroup(spec);
    for (const p of spec.pools) if (!this.pools.has(p)) throw new NotFoundError("pool", p);
    this.checkGrants(spec, action);
    const quota = this.quotas.get(spec.user);
    // Summing a user's usage walks every group: only worth it for a user who has a quota (bench B1).
    if (quota) checkQuota(quota, usageOf(spec.user, [...this.groups.values()].map((g) => g.spec), spec.id), prev, spec);
  }

  /** The group's user needs `action` on every pool it uses (internal requests without a user are AppMaster's own). */
  private checkGrants(spec: GroupSpec, action: Action): void {
    if (!spec.user || (spec.user === "system" && !this.users.users.has("system"))) return;
    if (!this.users.users.has(spec.user)) throw new PermissionDeniedError(`user ${spec.user} does not exist`);
    const missing = spec.pools.filter((p) => !this.users.can(spec.user, p, action));
    if (missing.length > 0) throw new PermissionDeniedError(`user ${spec.user} may not ${action} in pool ${missing.join(", ")}`);
  }

  private applyGroup(spec: GroupSpec, now: number): Write[] {
    const existing = this.groups.get(spec.id);
    const rec: GroupRec = { spec, lastError: existing?.lastError ?? "", createdAt: existing?.createdAt ?? now };
    this.groups.set(spec.id, rec);
    this.placement.touch(spec.id); // hints show its job type, and its pending containers' resources
    this.ensureContainers(rec);
    // Orphans held for this group (reported before the request arrived) now belong to it.
    for (const c of this.placement.ofGroup(spec.id)) if (c.orphan) (c.orphan = false), (c.resources = spec.resources);
    // Placed containers the new spec no longer allows where they are (pools, labels) move, step at a time.
    for (const c of this.placement.ofGroup(spec.id)) if (c.agent) this.moving.add(c.agent);
    this.noteScheduleNeeded();
    return [{ table: "groups", key: spec.id, value: rec }];
  }

  removeGroup(id: string): Out {
    return this.outbox.out(this.dropGroup(id));
  }

  private dropGroup(id: string): Write[] {
    if (!this.groups.has(id)) throw new NotFoundError("group", id);
    this.groups.delete(id);
    for (const c of this.placement.ofGroup(id)) this.revoke(c);
    this.noteScheduleNeeded();
    return [{ table: "groups", key: id, value: null }];
  }

  /**
   * Fencing of AppMaster's requests: a leader's epoch is 1 or more, and never lower than the highest seen. An absent
   * epoch (0: `{}` from a tool holding the secret) is refused like a deposed leader's: it once removed every group.
   */
  fenceAm(amEpoch: number): void {
    if (!(amEpoch >= 1)) throw new StaleEpochError(amEpoch, Math.max(1, this.amEpochSeen));
    if (amEpoch < this.amEpochSeen) throw new StaleEpochError(amEpoch, this.amEpochSeen);
    this.amEpochSeen = amEpoch;
  }

  /**
   * AppMaster's full request set and its last hints (after either master's failover). Requests were admitted once,
   * so no admission checks here. A hinted container that is pending here is held on its hinted agent while that
   * agent has not reported yet (state lost): its agent's report, or its timeout, decides later.
   */
  syncGroups(specs: GroupSpec[], now: number, hinted: Hint[] = []): Out & { unknown: string[] } {
    const writes: Write[] = [];
    const wanted = new Set(specs.map((s) => s.id));
    for (const s of specs) {
      const cur = this.groups.get(s.id);
      if (!cur || JSON.stringify(cur.spec) !== JSON.stringify(s)) {
        validateGroup(s);
        writes.push(...this.applyGroup(s, now));
      }
    }
    const unknown = [...this.groups.keys()].filter((id) => !wanted.has(id));
    for (const id of unknown) writes.push(...this.dropGroup(id));
    for (const h of hinted) for (const c of h.containers) this.holdHinted(c.id, c.agent, c.ports);
    this.awaitingAm = false;
    this.noteScheduleNeeded();
    return { ...this.outbox.out(writes), unknown };
  }

  private holdHinted(id: string, agent: string, ports: ContainerRec["ports"]): void {
    const c = this.placement.get(id);
    const a = agent ? this.agents.get(agent) : undefined;
    // Only a silent agent's containers are held: one that reported has told us what it runs.
    if (!c || c.agent || !a || a.reported || c.evictedFrom === agent) return;
    this.placement.assign(c, agent, ports, adoptedCharge(this, c, a, []), []);
    c.state = "lost";
    c.grantedAt = 0; // unknown here: the agent's report supplies it (a 0 grant never makes the agent replace its copy)
    this.bumpCaps(a);
  }

  /**
   * AppMaster moves a container (deploy timeout, lost pod): off its agent, back to pending. One ResMan marked to move
   * (its live agent drains, lost a label, changed pool) moves make-before-break: its old copy stays until it ends.
   */
  rescheduleContainer(id: string, reason = ""): Out & { container: ContainerRec } {
    const c = this.placement.get(id);
    if (!c) throw new NotFoundError("container", id);
    const a = c.agent ? this.agents.get(c.agent) : undefined;
    if (c.move && a && !a.dead) moveMakeBeforeBreak(this, c, reason || c.move);
    else this.evict(c, reason || "rescheduled by AppMaster");
    return { ...this.outbox.out(), container: c };
  }

  mustGroup(id: string): GroupRec {
    const g = this.groups.get(id);
    if (!g) throw new NotFoundError("group", id);
    return g;
  }

  /** Containers 0..replica-1 exist (pending when new), but for the released (finished batch pods); higher indexes are revoked. */
  private ensureContainers(g: GroupRec): void {
    const { id, replica, resources } = g.spec;
    const released = new Set(g.spec.released ?? []);
    for (const c of this.placement.ofGroup(id)) if ((c.index >= replica && !c.orphan) || released.has(c.id)) this.revoke(c);
    for (let i = 0; i < replica; i++) {
      const cid = containerId(id, i);
      if (released.has(cid)) continue;
      const c = this.placement.get(cid);
      if (!c) this.placement.add(newContainer(cid, id, i, resources));
      else if (!c.agent) c.resources = resources;
    }
  }

  private revoke(c: ContainerRec): void {
    const a = c.agent ? this.agents.get(c.agent) : undefined;
    if (a) this.bumpCaps(a);
    this.placement.remove(c);
  }

  // ───────── time ─────────

  tick(now: number): Out {
    this.hintVersions.refreshUsage(now, this.cfg.usageHintsPerSec, (g) => this.placement.containers.sizeOf(g));
    if (this.recovering && (now >= this.recoveryUntil || [...this.agents.values()].every((a) => a.reported))) {
      this.recovering = false;
      this.noteScheduleNeeded();
    }
    if (this.safeMode === "auto" && (now >= this.safeModeUntil || this.reportedFraction() >= this.cfg.safeModeFraction)) {
      this.safeMode = "off";
      this.noteScheduleNeeded();
    }
    if (this.recovering || this.safeMode !== "off") return this.outbox.out();
    this.detectDeadAgents(now);
    if (this.awaitingAm && now < this.amWaitUntil) return this.outbox.out(); // see awaitingAm
    this.awaitingAm = false;
    for (const endpoint of applyMoves(this, now)) this.moving.delete(endpoint);
    const retry = now - this.lastScheduleAt >= this.cfg.retryMs;
    if ((this.scheduleDirty || retry) && this.placement.pending.size > 0) {
      this.scheduleDirty = false; // a pass that evicts (preemption) marks it again: the victims get their own pass
      schedule(this, now);
      this.lastScheduleAt = now;
    } else this.scheduleDirty = false;
    return this.outbox.out();
  }

  /** Operator override: enter holds scheduling until leave; leave also ends the start-up wait. */
  setSafeMode(enter: boolean): Out {
    this.safeMode = enter ? "manual" : "off";
    if (!enter) this.recovering = false;
    this.noteScheduleNeeded();
    return this.outbox.out([{ table: "meta", key: "safeMode", value: enter ? true : null }]);
  }

  reportedFraction(): number {
    if (this.agents.size === 0) return 1;
    let n = 0;
    for (const a of this.agents.values()) if (a.reported) n++;
    return n / this.agents.size;
  }

  private detectDeadAgents(now: number): void {
    for (const a of this.agents.values()) {
      if (a.dead || now - a.lastHeartbeat <= this.cfg.agentTimeoutMs) continue;
      a.dead = true;
      this.bumpCaps(a);
      dropLeavingOn(this, a.endpoint);
      for (const c of this.placement.ofAgent(a.endpoint)) {
        const type = this.groups.get(c.group)?.spec.jobType ?? "service";
        if (isOnline(type)) (c.state = "lost"), this.placement.touch(c.group); // online: never revoked by a timeout
        else this.placement.unassign(c); // offline: back to pending, rescheduled elsewhere
      }
      this.noteScheduleNeeded();
    }
  }
}

const NO_OPTIONS: Cap["container"] = { cpuExcess: false, memoryExcess: false, memoryCeiling: 0, pidsLimit: 0, ioWeight: 0, io: { weight: 0, readBps: 0, writeBps: 0, readIops: 0, writeIops: 0 }, stopTimeoutMs: 0, workspaceSize: 0 };

function validateGroup(s: GroupSpec): void {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(s.id)) throw new InvalidError(`group id ${JSON.stringify(s.id)} is not valid`);
  if (s.pools.length === 0) throw new InvalidError(`group ${s.id} names no pool`);
  if (!isJobType(s.jobType)) throw new InvalidError(`group ${s.id} has unknown type ${JSON.stringify(s.jobType)}`);
}

/** Equal but for the fields AppMaster sets on its own (failure policy, finished batch pods, request version). */
export function sameUserRequest(a: GroupSpec, b: GroupSpec): boolean {
  const mine = (g: GroupSpec) => JSON.stringify({ ...g, blacklist: [], released: [], version: 0 });
  return mine(a) === mine(b);
}
