// ResManCore: the resource manager's decisions as a state machine. Every input (heartbeat, request, tick) takes
// `now` and returns the hard-state writes to commit before the answer goes out (persist, then send).
//
//   heartbeat ──► register agent ──► reconcile its reports with placement (adopt / update / hold orphans)
//             ──► reply with its whole cap set when its (epoch, version) is behind
//   request   ──► groups (hard) ──► containers pending in placement
//   tick      ──► end recovery window ──► agent timeouts (offline revoked, online lost) ──► schedule
import { InvalidError, NotFoundError, StaleEpochError } from "../core/errors.ts";
import type { Cap, ContainerReport, GroupSpec, HeartbeatReply, HeartbeatRequest, JobType } from "../rpc/types.ts";
import { isOnline } from "../rpc/types.ts";
import { formatReasons, place, type SchedAgent, type SchedGroup } from "../scheduler/index.ts";
import { PlacementTable } from "./placement.ts";
import { containerId, indexOf, type AgentHard, type AgentRec, type ContainerRec, type GroupRec, type ResManConfig, type Write } from "./state.ts";

export interface HardState {
  agents: AgentHard[];
  groups: GroupRec[];
  pools: string[];
}

export class ResManCore {
  readonly agents = new Map<string, AgentRec>();
  readonly groups = new Map<string, GroupRec>();
  readonly pools = new Set<string>();
  readonly placement: PlacementTable;
  recovering = true;
  private recoveryUntil: number;
  private scheduleDirty = true;
  private seed = 1;

  constructor(
    readonly cfg: ResManConfig,
    readonly epoch: number,
    hard: HardState,
    now: number,
  ) {
    this.placement = new PlacementTable((g) => isBatchType(this.groups.get(g)?.spec.jobType));
    for (const p of hard.pools) this.pools.add(p);
    for (const g of hard.groups) this.groups.set(g.spec.id, g);
    for (const a of hard.agents) {
      this.agents.set(a.endpoint, { ...a, lastHeartbeat: now, dead: false, reported: false, capsVersion: 1, usage: null });
    }
    for (const g of this.groups.values()) this.ensureContainers(g);
    this.recoveryUntil = now + cfg.recoveryMs;
    this.recovering = true;
  }

  // ───────── agents ─────────

  heartbeat(req: HeartbeatRequest, now: number): { reply: HeartbeatReply; writes: Write[] } {
    if (req.epochSeen > this.epoch) throw new StaleEpochError(this.epoch, req.epochSeen);
    const writes: Write[] = [];
    const rec = this.registerAgent(req, now, writes);
    rec.lastHeartbeat = now;
    rec.reported = true;
    rec.usage = req.usage;
    if (rec.dead) {
      rec.dead = false;
      this.scheduleDirty = true;
    }
    this.reconcileReports(rec, req.containers, now);
    const behind = req.capsEpoch !== this.epoch || req.capsVersion !== rec.capsVersion;
    const reply: HeartbeatReply = {
      epoch: this.epoch,
      capsVersion: rec.capsVersion,
      capsChanged: behind,
      caps: behind ? this.capsFor(rec.endpoint) : [],
      wantFull: false,
      intervalMs: this.cfg.heartbeatIntervalMs,
    };
    return { reply, writes };
  }

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
      rec = { endpoint: info.endpoint, info, pool, labels: [...info.labels], admin: "active", registeredAt: now,
        lastHeartbeat: now, dead: false, reported: true, capsVersion: 1, usage: null };
      this.agents.set(info.endpoint, rec);
      writes.push({ table: "agents", key: rec.endpoint, value: agentHard(rec) });
      this.scheduleDirty = true;
    } else if (JSON.stringify(rec.info) !== JSON.stringify(info)) {
      rec.info = info;
      writes.push({ table: "agents", key: rec.endpoint, value: agentHard(rec) });
      this.scheduleDirty = true;
    }
    return rec;
  }

  /** Makes placement agree with what the agent says it runs. */
  private reconcileReports(rec: AgentRec, reports: ContainerReport[], now: number): void {
    for (const r of reports) {
      const c = this.placement.get(r.containerId);
      if (c && c.agent === rec.endpoint) {
        updateFromReport(c, r);
      } else if (c && !c.agent) {
        // Pending here but running there (after a failover, or a revoked batch container on a returned agent):
        // adopt it rather than start a second copy, if the agent still fits it.
        this.placement.assign(c, rec.endpoint, r.cap.ports);
        updateFromReport(c, r);
        rec.capsVersion++;
      } else if (!c) {
        this.maybeAdopt(rec, r, now);
      }
      // else: placed on another agent; it is not in this agent's cap set, so the agent destroys its copy.
    }
  }

  private maybeAdopt(rec: AgentRec, r: ContainerReport, now: number): void {
    const g = this.groups.get(r.groupId);
    const index = indexOf(r.containerId);
    const known = g && index >= 0 && index < g.spec.replica;
    if (!known && !this.recovering) return; // not requested: left out of the cap set, so the agent destroys it
    const c: ContainerRec = {
      id: r.containerId, group: r.groupId, index, agent: rec.endpoint, ports: r.cap.ports, state: "running", pid: 0,
      startedAt: 0, exitCode: 0, message: "", usage: null, grantedAt: r.cap.grantedAt || now, orphan: !known,
      resources: g ? g.spec.resources : r.cap.resources,
    };
    updateFromReport(c, r);
    this.placement.add(c);
    rec.capsVersion++;
  }

  capsFor(endpoint: string): Cap[] {
    return this.placement.ofAgent(endpoint).map((c) => this.capOf(c));
  }

  private capOf(c: ContainerRec): Cap {
    const g = this.groups.get(c.group)?.spec;
    return {
      containerId: c.id, groupId: c.group, jobType: g?.jobType ?? "service", resources: c.resources, ports: c.ports,
      volumes: g?.volumes ?? [], user: g?.user ?? "", epoch: this.epoch, grantedAt: c.grantedAt,
      env: { ...(g?.env ?? {}), GALAXY_JOB_ID: c.group, GALAXY_POD_ID: c.id },
    };
  }

  // ───────── groups (AppMaster's requests) ─────────

  createGroup(spec: GroupSpec, now: number): Write[] {
    validateGroup(spec);
    const existing = this.groups.get(spec.id);
    const rec: GroupRec = { spec, lastError: existing?.lastError ?? "", createdAt: existing?.createdAt ?? now };
    this.groups.set(spec.id, rec);
    this.ensureContainers(rec);
    // Orphans held for this group (reported before the request arrived) now belong to it.
    for (const c of this.placement.ofGroup(spec.id)) if (c.orphan) (c.orphan = false), (c.resources = spec.resources);
    this.scheduleDirty = true;
    return [{ table: "groups", key: spec.id, value: rec }];
  }

  scaleGroup(id: string, replica: number, now: number): Write[] {
    const g = this.mustGroup(id);
    return this.createGroup({ ...g.spec, replica }, now);
  }

  removeGroup(id: string): Write[] {
    if (!this.groups.has(id)) throw new NotFoundError("group", id);
    this.groups.delete(id);
    for (const c of this.placement.ofGroup(id)) this.revoke(c);
    this.scheduleDirty = true;
    return [{ table: "groups", key: id, value: null }];
  }

  /** AppMaster's full request set: creates what is missing, removes groups it no longer wants. */
  syncGroups(specs: GroupSpec[], now: number): { writes: Write[]; unknown: string[] } {
    const writes: Write[] = [];
    const wanted = new Set(specs.map((s) => s.id));
    for (const s of specs) {
      const cur = this.groups.get(s.id);
      if (!cur || JSON.stringify(cur.spec) !== JSON.stringify(s)) writes.push(...this.createGroup(s, now));
    }
    const unknown = [...this.groups.keys()].filter((id) => !wanted.has(id));
    for (const id of unknown) writes.push(...this.removeGroup(id));
    return { writes, unknown };
  }

  /** AppMaster moves a container (deploy timeout, lost pod): off its agent, back to pending. */
  rescheduleContainer(id: string): ContainerRec {
    const c = this.placement.get(id);
    if (!c) throw new NotFoundError("container", id);
    if (c.agent) {
      const a = this.agents.get(c.agent);
      if (a) a.capsVersion++;
      this.placement.unassign(c);
      this.scheduleDirty = true;
    }
    return c;
  }

  mustGroup(id: string): GroupRec {
    const g = this.groups.get(id);
    if (!g) throw new NotFoundError("group", id);
    return g;
  }

  /** Containers 0..replica-1 exist (pending when new); higher indexes are revoked. */
  private ensureContainers(g: GroupRec): void {
    const { id, replica, resources } = g.spec;
    for (const c of this.placement.ofGroup(id)) if (c.index >= replica && !c.orphan) this.revoke(c);
    for (let i = 0; i < replica; i++) {
      const cid = containerId(id, i);
      if (this.placement.get(cid)) continue;
      this.placement.add({ id: cid, group: id, index: i, agent: "", ports: [], state: "pending", pid: 0, startedAt: 0,
        exitCode: 0, message: "", usage: null, grantedAt: 0, orphan: false, resources });
    }
  }

  private revoke(c: ContainerRec): void {
    const a = c.agent ? this.agents.get(c.agent) : undefined;
    if (a) a.capsVersion++;
    this.placement.remove(c);
  }

  // ───────── time ─────────

  tick(now: number): void {
    if (this.recovering && (now >= this.recoveryUntil || [...this.agents.values()].every((a) => a.reported))) {
      this.recovering = false;
      this.scheduleDirty = true;
    }
    if (this.recovering) return;
    this.detectDeadAgents(now);
    if (this.scheduleDirty && this.placement.pending.size > 0) this.schedule(now);
    this.scheduleDirty = false;
  }

  private detectDeadAgents(now: number): void {
    for (const a of this.agents.values()) {
      if (a.dead || now - a.lastHeartbeat <= this.cfg.agentTimeoutMs) continue;
      a.dead = true;
      a.capsVersion++;
      for (const c of this.placement.ofAgent(a.endpoint)) {
        const type = this.groups.get(c.group)?.spec.jobType ?? "service";
        if (isOnline(type)) c.state = "lost"; // online containers are never revoked by a timeout
        else this.placement.unassign(c); // offline: back to pending, rescheduled elsewhere
      }
      this.scheduleDirty = true;
    }
  }

  private schedule(now: number): void {
    const groups: SchedGroup[] = [];
    const pendingBy = new Map<string, string[]>();
    for (const id of this.placement.pending) {
      const c = this.placement.get(id)!;
      const list = pendingBy.get(c.group) ?? [];
      list.push(id);
      pendingBy.set(c.group, list);
    }
    for (const [gid, ids] of pendingBy) {
      const g = this.groups.get(gid);
      if (g) groups.push(schedGroup(g.spec, ids.sort((x, y) => indexOf(x) - indexOf(y))));
    }
    const result = place(this.schedAgents(), groups, { seed: this.seed++ });
    for (const p of result.placements) {
      const c = this.placement.get(p.containerId)!;
      this.placement.assign(c, p.agent, p.ports);
      c.state = "allocated";
      c.grantedAt = now;
      this.agents.get(p.agent)!.capsVersion++;
    }
    for (const o of result.outcomes) {
      const g = this.groups.get(o.groupId);
      if (g) g.lastError = o.unplaced.length ? formatReasons(o.reasons) || "no agents" : "";
    }
  }

  schedAgents(): SchedAgent[] {
    return [...this.agents.values()].map((a) => {
      const l = this.placement.load(a.endpoint);
      return {
        endpoint: a.endpoint, pool: a.pool, labels: a.labels,
        state: a.dead ? "dead" : a.admin === "active" ? "alive" : a.admin === "offline" ? "offline" : "draining",
        total: a.info.total, assigned: l.assigned, usedPorts: l.ports, portMin: a.info.portMin, portMax: a.info.portMax,
        groupCount: l.groupCount, batchCount: l.batchCount, maxBatch: a.info.maxBatch,
      };
    });
  }
}

function updateFromReport(c: ContainerRec, r: ContainerReport): void {
  c.state = (r.state || "running") as ContainerRec["state"];
  c.pid = r.pid;
  c.startedAt = r.startedAt;
  c.message = r.message;
  c.exitCode = r.exitCode;
  c.usage = r.usage;
}

function agentHard(a: AgentRec): AgentHard {
  return { endpoint: a.endpoint, info: a.info, pool: a.pool, labels: a.labels, admin: a.admin, registeredAt: a.registeredAt };
}

const isBatchType = (t: string | undefined) => t === "batch" || t === "best-effort";

export function schedGroup(s: GroupSpec, pending: string[]): SchedGroup {
  return {
    id: s.id, jobType: (s.jobType || "service") as JobType, resources: s.resources, ports: s.ports, volumes: s.volumes,
    pools: s.pools, labels: s.labels, maxPerHost: s.maxPerHost, spread: s.spread, blacklist: s.blacklist, pending,
  };
}

function validateGroup(s: GroupSpec): void {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(s.id)) throw new InvalidError(`group id ${JSON.stringify(s.id)} is not valid`);
  if (s.pools.length === 0) throw new InvalidError(`group ${s.id} names no pool`);
  if (!["monitor", "service", "batch", "best-effort"].includes(s.jobType)) throw new InvalidError(`group ${s.id} has unknown type ${JSON.stringify(s.jobType)}`);
}
