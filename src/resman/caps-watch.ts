// Agents' blocking queries for their cap sets (ResMan/WatchCaps). A watch is answered at once when the agent is
// behind, else parked until its cap set changes (checked right after every scheduling tick and every call that can
// change caps) or until its wait ends. This is what takes the wait for the next heartbeat out of submit-to-running:
//
//   CreateGroup ──► tick places ──► poke(): parked watch of each agent with new caps answered ──► agent grants,
//   heartbeats at once with the new containers' state ──► ResMan sees them running
//
// Only an agent that has heartbeated to this leader (and is not dead) is ever answered with caps: until its report
// is reconciled, ResMan's cap set for it lacks what it runs (after a failover, or after it was declared dead), and
// the agent would destroy those containers. Such a watch waits; the agent's heartbeat makes it current.
//
// Time is passed in; the shell calls poke(now) from its timer.
import { NotFoundError, StaleEpochError, UnavailableError } from "../core/errors.ts";
import type { HeartbeatReply, WatchCapsRequest } from "../rpc/types.ts";
import type { ResManCore } from "./core.ts";
import type { AgentRec } from "./state.ts";

/** Whether ResMan's cap set for the agent reflects what the agent runs: it reported to this leader and is alive. */
const current = (rec: AgentRec): boolean => rec.reported && !rec.dead;

/** Longest a watch is held (the RPC server's idle timeout is 60 s). */
export const MAX_WATCH_MS = 30_000;
/** How often parked watches are checked for the end of their wait (a watch ends up to this late). */
export const EXPIRY_SCAN_MS = 250;
/**
 * A watch ends somewhere in the last WATCH_JITTER of its wait, at random (as the Kubernetes API server randomizes
 * its watch timeouts): watches parked together (every agent's, when a new leader's recovery ends) would otherwise
 * all end together, every wait, for ever: 10,000 answers and 10,000 new watches in one turn, then the garbage
 * collection of all of them, a pause every agent's heartbeat waits behind.
 */
export const WATCH_JITTER = 0.25;

/** Where a watch's answer goes: the RPC call's promise, or a simulated agent. */
export interface WatchAnswer {
  resolve(reply: HeartbeatReply): void;
  reject(e: Error): void;
}

interface Parked extends WatchAnswer {
  endpoint: string;
  capsEpoch: number;
  capsVersion: number;
  deadline: number;
}

/** A deadline's expiry slot: the first scan period that starts at or after it. */
const slotOf = (deadline: number): number => Math.ceil(deadline / EXPIRY_SCAN_MS);

export class CapsWatch {
  /** At most one parked watch per agent: a newer one answers the older (its client has given up on it). */
  private readonly parked = new Map<string, Parked>();
  /** Expiry slot -> agents whose watch ends in it: a scan visits the watches that end, not every parked one. */
  private readonly wheel = new Map<number, Set<string>>();
  private lastExpiryScan = -Infinity;

  /** `random` in [0, 1) places each watch's end in its wait (tests pass a fixed one). */
  constructor(private readonly core: () => ResManCore, private readonly random: () => number = Math.random) {}

  get size(): number {
    return this.parked.size;
  }

  /** The RPC: resolves now when there is something to say (or wait_ms is 0), else when poke() or close() answers. */
  watch(req: WatchCapsRequest, now: number): Promise<HeartbeatReply> {
    return new Promise<HeartbeatReply>((resolve, reject) => this.park(req, now, { resolve, reject }));
  }

  /** Answers at once through `answer`, or parks it; throws for an unknown agent or a stale epoch. */
  park(req: WatchCapsRequest, now: number, answer: WatchAnswer): void {
    const core = this.core();
    if (req.epochSeen > core.epoch) throw new StaleEpochError(core.epoch, req.epochSeen);
    const rec = core.agents.get(req.endpoint);
    if (!rec) throw new NotFoundError("agent", req.endpoint);
    if (current(rec) && core.capsBehind(rec, req.capsEpoch, req.capsVersion)) return answer.resolve(core.capsReply(rec, req.capsEpoch, req.capsVersion));
    if (req.waitMs === 0) return answer.resolve(core.nothingNew(rec));
    const old = this.parked.get(req.endpoint);
    if (old) {
      this.unpark(old);
      old.resolve(core.nothingNew(rec));
    }
    const wait = Math.min(req.waitMs, MAX_WATCH_MS);
    const deadline = now + wait - Math.floor(wait * WATCH_JITTER * this.random());
    const p: Parked = {
      endpoint: req.endpoint, capsEpoch: req.capsEpoch, capsVersion: req.capsVersion, deadline,
      resolve: answer.resolve, reject: answer.reject,
    };
    this.parked.set(req.endpoint, p);
    const slot = slotOf(deadline);
    let due = this.wheel.get(slot);
    if (due === undefined) this.wheel.set(slot, (due = new Set()));
    due.add(p.endpoint);
  }

  /**
   * Answers the parked watches of agents whose caps changed or that were removed (the core's outbox, drained here) and,
   * at most every EXPIRY_SCAN_MS, the watches whose wait is over (their slots of the wheel): O(changed agents +
   * ended watches) per tick, never O(parked watches).
   */
  poke(now: number, changed: ReadonlySet<string>): void {
    const core = this.core();
    if (this.parked.size === 0) return;
    for (const endpoint of changed) {
      const p = this.parked.get(endpoint);
      if (p) this.check(core, p, now, false);
    }
    if (now - this.lastExpiryScan < EXPIRY_SCAN_MS) return;
    this.lastExpiryScan = now;
    const due = Math.floor(now / EXPIRY_SCAN_MS); // slot s ends at s * EXPIRY_SCAN_MS >= every deadline in it
    for (const [slot, endpoints] of this.wheel) {
      if (slot > due) continue;
      this.wheel.delete(slot);
      for (const endpoint of endpoints) {
        const p = this.parked.get(endpoint);
        if (p !== undefined) this.check(core, p, now, true); // unpark keeps each parked watch in its slot only
      }
    }
  }

  private unpark(p: Parked): void {
    this.parked.delete(p.endpoint);
    const slot = slotOf(p.deadline);
    const due = this.wheel.get(slot);
    if (due === undefined) return;
    due.delete(p.endpoint);
    if (due.size === 0) this.wheel.delete(slot);
  }

  private check(core: ResManCore, p: Parked, now: number, expire: boolean): void {
    const rec = core.agents.get(p.endpoint);
    if (!rec) {
      this.unpark(p);
      p.reject(new NotFoundError("agent", p.endpoint));
    } else if (current(rec) && core.capsBehind(rec, p.capsEpoch, p.capsVersion)) {
      this.unpark(p);
      p.resolve(core.capsReply(rec, p.capsEpoch, p.capsVersion));
    } else if (expire && now >= p.deadline) {
      this.unpark(p);
      p.resolve(core.nothingNew(rec));
    }
  }

  /** Ends every parked watch with an error (this ResMan stops leading); agents watch the new leader. */
  close(why: string): void {
    for (const p of this.parked.values()) p.reject(new UnavailableError(why));
    this.parked.clear();
    this.wheel.clear();
  }
}
