// Anti-affinity between jobs (`deploy.anti_affinity: [{job: B, max_per_host: K}]` in A's job file): an agent that runs
// a container of A holds at most K containers of B. Rules name jobs (by name, within the same user); the scheduler
// works on group ids, so AntiAffinityIndex turns a group's rules into SchedAntiAffinity constraints over group ids:
//
//   A's own rule about B     placing A: count(B) on the agent, +1 when A is itself named B, must stay <= K
//   another group's rule     placing B where A runs: count(B) + 1 <= K (the reverse rule: B cannot land
//                            beside A in excess of A's rule, whoever arrives last)
//
// A rule about a job that has no group yet counts nothing; it applies as soon as one appears (reverse rules are
// looked up when a group is placed, not when the rule was written).
import type { SchedAntiAffinity } from "./types.ts";

export interface AntiAffinityRule {
  readonly job: string;
  readonly maxPerHost: number;
}

/** What the index needs of a group: its id, its user and job name, and its rules. */
export interface RuleOwner {
  readonly id: string;
  readonly user: string;
  /** The job's name ("" when unknown: the group cannot be named by a rule). */
  readonly name?: string;
  readonly antiAffinity?: readonly AntiAffinityRule[];
}

const key = (user: string, name: string): string => `${user}\u0000${name}`;

/** Groups by job name, and the rules naming each job; kept up to date as groups come and go. */
export class AntiAffinityIndex {
  /** user+name -> ids of the groups of that job. */
  private readonly byName = new Map<string, Set<string>>();
  /** user+name -> (id of a group whose rules name that job -> its limit). */
  private readonly namedBy = new Map<string, Map<string, number>>();
  private readonly owners = new Map<string, RuleOwner>();

  set(g: RuleOwner): void {
    this.delete(g.id);
    this.owners.set(g.id, g);
    if (g.name) addTo(this.byName, key(g.user, g.name), g.id);
    for (const [job, k] of limits(g)) {
      const m = this.namedBy.get(key(g.user, job)) ?? new Map<string, number>();
      m.set(g.id, k);
      this.namedBy.set(key(g.user, job), m);
    }
  }

  delete(id: string): void {
    const g = this.owners.get(id);
    if (!g) return;
    this.owners.delete(id);
    if (g.name) removeFrom(this.byName, key(g.user, g.name), id);
    for (const [job] of limits(g)) {
      const k = key(g.user, job);
      const m = this.namedBy.get(k);
      m?.delete(id);
      if (m?.size === 0) this.namedBy.delete(k);
    }
  }

  clear(): void {
    this.byName.clear();
    this.namedBy.clear();
    this.owners.clear();
  }

  /** The constraints on placing a container of `g` (indexed or not: `galaxy plan` asks for a group it never saw). */
  rulesFor(g: RuleOwner): SchedAntiAffinity[] {
    const out: SchedAntiAffinity[] = [];
    for (const [job, k] of limits(g)) {
      out.push({ holders: [], counted: this.groupsOf(g.user, job, g.name === job ? g.id : undefined), maxPerHost: k });
    }
    if (!g.name) return out;
    const named = this.namedBy.get(key(g.user, g.name));
    if (!named) return out;
    const counted = this.groupsOf(g.user, g.name, g.id);
    for (const [holder, k] of named) if (holder !== g.id) out.push({ holders: [holder], counted, maxPerHost: k });
    return out;
  }

  /** Ids of the job's groups, `self` included (a group being planned is not indexed yet). */
  private groupsOf(user: string, name: string, self: string | undefined): string[] {
    const ids = [...(this.byName.get(key(user, name)) ?? [])];
    if (self !== undefined && !ids.includes(self)) ids.push(self);
    return ids.sort();
  }
}

/** A group's rules, one limit per job named (the smallest when a job is named twice). */
function limits(g: RuleOwner): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of g.antiAffinity ?? []) m.set(r.job, Math.min(m.get(r.job) ?? Infinity, r.maxPerHost));
  return m;
}

function addTo(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  if (s) s.add(v);
  else m.set(k, new Set([v]));
}

function removeFrom(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  s?.delete(v);
  if (s?.size === 0) m.delete(k);
}
