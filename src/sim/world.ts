// The deterministic simulation: the real ResMan and AppMaster cores, simulated agents (the real cap diff and
// fencing) and workers, wired through an in-memory network on a fake clock. Any component can crash (memory
// lost, disk kept; a restart is a failover to a new epoch), pause (neither acts nor answers) or be cut off.
import { parseJobFile } from "../core/jobspec.ts";
import type { Hint } from "../rpc/types.ts";
import { CapsWatch } from "../resman/caps-watch.ts";
import { hints as resmanHints, hintsReply } from "../resman/views.ts";
import { SimNetwork, Unreachable } from "./network.ts";
import { SimAppMaster, type ResManApi } from "./sim-appmaster.ts";
import { SimNode, type ContainerEvent } from "./sim-node.ts";
import { SimResMan } from "./sim-resman.ts";

export const RM = "resman";
export const AM = "appmaster";
const TICK = 100;

interface WorkerState {
  epochSeen: number;
  state: string;
  version: number;
  gone: boolean;
}

export class World {
  now = 0;
  readonly net = new SimNetwork();
  readonly rm = new SimResMan();
  readonly am = new SimAppMaster();
  readonly nodes: SimNode[];
  readonly events: ContainerEvent[] = [];
  /** Worker of each container incarnation (survives agent restarts; ends when its container is destroyed). */
  private readonly workers = new Map<number, WorkerState>();
  private incarnations = 0;
  /** The ResMan leader's parked WatchCaps (a new leader starts with none). */
  private watches: CapsWatch | null = null;
  /** Agents that got new caps from a watch: they heartbeat at once, as the real agent does. */
  private acks: SimNode[] = [];

  constructor(agents = 3) {
    const record = (e: ContainerEvent) => {
      this.events.push(e);
      const w = e.kind === "stop" ? this.workers.get(e.incarnation) : undefined;
      if (w) w.gone = true;
    };
    this.nodes = Array.from({ length: agents }, (_, i) => new SimNode(`a${i}`, () => ++this.incarnations, record));
    this.startResMan();
    this.am.start(this.now);
  }

  private startResMan(): void {
    this.rm.start(this.now);
    this.watches = new CapsWatch(() => this.rm.core!);
  }

  node(name: string): SimNode {
    return this.nodes.find((n) => n.endpoint === name)!;
  }

  /** Host of an agent: `a0` is the agent process, `a0/host` its machine (workers live there). */
  static host = (agent: string) => `${agent}/host`;

  submit(file: string): string {
    return this.am.submit(parseJobFile(file), this.now);
  }

  // ───────── failures ─────────

  crash(name: string): void {
    this.net.set(name, "down");
    if (name === RM) {
      this.rm.crash();
      this.watches?.close("ResMan crashed");
      this.watches = null;
    }
    else if (name === AM) this.am.crash();
  }

  /** A crashed master's standby takes over (new epoch); a crashed agent restarts from its checkpoint. */
  restart(name: string): void {
    this.net.set(name, "up");
    if (name === RM) this.startResMan();
    else if (name === AM) this.am.start(this.now);
    else this.node(name).restartAgent();
  }

  pause(name: string): void {
    this.net.set(name, "paused");
  }

  resume(name: string): void {
    this.net.set(name, "up");
  }

  /** Cuts an agent's machine (agent and workers) off from both masters. */
  isolate(agent: string): void {
    for (const peer of [RM, AM]) {
      this.net.partition(agent, peer);
      this.net.partition(World.host(agent), peer);
    }
  }

  // ───────── time ─────────

  run(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) this.step();
  }

  /** Runs until cond holds; returns whether it did within ms. */
  runUntil(cond: () => boolean, ms: number): boolean {
    const end = this.now + ms;
    while (this.now < end) {
      if (cond()) return true;
      this.step();
    }
    return cond();
  }

  private step(): void {
    this.now += TICK;
    if (this.net.get(RM) === "up") {
      const out = this.rm.core!.tick(this.now);
      this.watches?.poke(this.now, out.capsChanged);
      this.rm.core!.advance();
    }
    const acks = this.acks;
    this.acks = [];
    for (const n of acks) this.heartbeat(n);
    for (const [i, n] of this.nodes.entries()) if ((this.now / TICK) % 10 === i % 10) this.heartbeat(n);
    for (const n of this.nodes) this.watch(n);
    if ((this.now / TICK) % 5 === 0 && this.net.get(AM) === "up") {
      try {
        this.am.sync(this.resmanApi(), this.now);
      } catch (e) {
        if (!(e instanceof Unreachable)) throw e;
      }
    }
    if ((this.now / TICK) % 10 === 5) for (const n of this.nodes) this.pullPlans(n);
  }

  private heartbeat(n: SimNode): void {
    if (!this.net.reachable(n.endpoint, RM)) return;
    let answer;
    try {
      answer = this.rm.core!.heartbeat(n.request(this.now), this.now);
    } catch (e) {
      n.answered(null);
      throw e;
    }
    this.rm.persist(answer.writes);
    if (n.answered(answer.reply)) this.acks.push(n); // ResMan wants the full report: the agent sends it at once
    n.apply(answer.reply, this.now);
  }

  /** A registered agent without a parked WatchCaps asks again; answers reach it only while it can hear ResMan. */
  private watch(n: SimNode): void {
    const w = this.watches;
    if (!w || n.watching || n.epochSeen === 0 || !this.net.reachable(n.endpoint, RM)) return;
    n.watching = true;
    const seq = ++n.watchSeq;
    const mine = () => n.watchSeq === seq; // an answer to a watch the agent forgot (it restarted) reaches nobody
    try {
      w.park(n.watchRequest(), this.now, {
        resolve: (reply) => {
          if (!mine()) return;
          n.watching = false;
          if (this.net.reachable(n.endpoint, RM) && n.apply(reply, this.now)) this.acks.push(n);
        },
        reject: () => {
          if (mine()) n.watching = false;
        },
      });
    } catch {
      n.watching = false; // not known to this leader yet: its heartbeat registers it
    }
  }

  /** Each worker on the machine pulls its plan from AppMaster. */
  private pullPlans(n: SimNode): void {
    if (!this.net.reachable(World.host(n.endpoint), AM)) return;
    for (const c of n.containers.values()) {
      const w = this.workers.get(c.incarnation) ?? { epochSeen: 0, state: "pending", version: 0, gone: false };
      this.workers.set(c.incarnation, w);
      if (w.gone) continue;
      const id = c.cap.containerId;
      const tasks = w.state === "running" ? [{ name: "main", state: "running", pid: c.incarnation, exitCode: -1, signal: "", coreDumped: false, restarts: 0, message: "", startedAt: c.startedAt, version: String(w.version), healthy: true }] : [];
      const reply = this.am.fetchTask({
        podId: id, containerId: id, jobId: c.cap.groupId, epochSeen: w.epochSeen, state: w.state, version: w.version,
        tasks, agent: n.endpoint, pid: c.incarnation, token: "",
      } as Parameters<SimAppMaster["fetchTask"]>[0], this.now);
      if (reply.epoch < w.epochSeen) continue; // fencing
      w.epochSeen = reply.epoch;
      if (reply.command === "terminate") w.state = "terminated";
      else if (["start", "rebuild"].includes(reply.command)) {
        w.state = "running";
        w.version = reply.version;
      }
      c.exited = w.state === "terminated";
    }
  }

  private resmanApi(): ResManApi {
    const call = <T>(f: () => T): T => {
      if (!this.net.reachable(AM, RM)) throw new Unreachable(AM, RM);
      return f();
    };
    const rm = this.rm;
    return {
      getHints: (e, since, sinceEpoch) => call(() => {
        rm.core!.fenceAm(e);
        return hintsReply(rm.core!, { all: true, groups: [], since, sinceEpoch });
      }),
      syncGroups: (e, groups, hinted) => call(() => {
        rm.core!.fenceAm(e);
        rm.persist(rm.core!.syncGroups(groups, this.now, hinted).writes);
      }),
      createGroup: (e, g) => call(() => (rm.core!.fenceAm(e), rm.persist(rm.core!.createGroup(g, this.now).writes))),
      removeGroup: (e, id) => call(() => (rm.core!.fenceAm(e), rm.persist(rm.core!.removeGroup(id).writes))),
      reschedule: (e, id, reason) => call(() => (rm.core!.fenceAm(e), void rm.core!.rescheduleContainer(id, reason))),
    };
  }

  // ───────── observations ─────────

  /** Every running container copy: container id -> the agents (and incarnations) running it. */
  copies(): Map<string, { agent: string; incarnation: number; jobType: string }[]> {
    const m = new Map<string, { agent: string; incarnation: number; jobType: string }[]>();
    for (const n of this.nodes) for (const c of n.containers.values()) {
      const list = m.get(c.cap.containerId) ?? [];
      list.push({ agent: n.endpoint, incarnation: c.incarnation, jobType: c.cap.jobType });
      m.set(c.cap.containerId, list);
    }
    return m;
  }

  /** Containers of a job type with a copy whose worker runs its tasks now (what a client could reach). */
  serving(jobType: string): number {
    const ids = new Set<string>();
    for (const n of this.nodes) for (const c of n.containers.values()) {
      const w = this.workers.get(c.incarnation);
      if (c.cap.jobType === jobType && !c.exited && w && !w.gone && w.state === "running") ids.add(c.cap.containerId);
    }
    return ids.size;
  }

  /** Converged: every group fully running, each container once, where ResMan and AppMaster both say it is. */
  converged(): string | null {
    const core = this.rm.core;
    const am = this.am.core;
    if (!core || !am || core.recovering) return "a master is down or recovering";
    const copies = this.copies();
    for (const j of am.jobs.values()) {
      if (j.state === "destroying" || j.state === "finished") continue;
      const g = core.groups.get(j.id);
      if (!g) return `ResMan lacks the group of ${j.id}`;
      if (core.placement.ofGroup(j.id).length !== j.spec.deploy.replica) return `${j.id} has the wrong number of containers`;
    }
    for (const g of core.groups.values()) {
      for (const c of core.placement.ofGroup(g.spec.id)) {
        const on = copies.get(c.id) ?? [];
        if (on.length !== 1) return `${c.id} runs ${on.length} times`;
        if (c.agent !== on[0]!.agent) return `${c.id}: ResMan says ${c.agent || "pending"}, it runs on ${on[0]!.agent}`;
        const pod = am.pods.get(c.id);
        if (!pod || pod.agent !== c.agent || pod.state !== "running") return `${c.id}: AppMaster says ${pod?.agent}/${pod?.state}`;
      }
    }
    for (const [id, on] of copies) {
      const c = core.placement.get(id);
      if (!c) return `leak: ${id} runs on ${on.map((o) => o.agent).join(",")} but ResMan has no such container`;
    }
    return this.hintsDrift();
  }

  /** AppMaster's merged incremental hints differ from one full GetHints now (a change that bumped no version). */
  hintsDrift(): string | null {
    const core = this.rm.core!;
    const cache = this.am.hintsCache;
    if (cache.epoch !== core.epoch) return `AppMaster's hints are of ResMan epoch ${cache.epoch}, not ${core.epoch}`;
    const full = resmanHints(core, null) as Hint[];
    const text = (h: Hint | undefined) => JSON.stringify(h, (k, v) => (k === "usage" ? undefined : v));
    if (full.length !== cache.groups.size) return `AppMaster's hints hold ${cache.groups.size} groups, ResMan ${full.length}`;
    const drift = full.find((h) => text(h) !== text(cache.groups.get(h.groupId)));
    return drift ? `AppMaster's hints of ${drift.groupId} are stale: ${text(cache.groups.get(drift.groupId))} vs ${text(drift)}` : null;
  }
}
