// Failure storms on the simulation: the jobs, the failure kinds and how they strike (shared by the scenario tests and
// `galaxy bench storms`, which runs many more seeds).
import { seededRandom } from "../scheduler/random.ts";
import { AM, RM, World } from "./world.ts";

export const SERVICE = `name: web
type: service
deploy: {replica: 3, pools: [default], spread: true, max_per_host: 1}
pod:
  tasks: [{name: main, cpu: {millicores: 500}, memory: {size: 256M}, start: "serve"}]
`;
export const BATCH = `name: crunch
type: batch
deploy: {replica: 3, pools: [default], spread: true}
pod:
  tasks: [{name: main, cpu: {millicores: 500}, memory: {size: 256M}, start: "crunch"}]
`;

export type Failure = "rm-failover" | "am-failover" | "am-timeout" | "agent-failover" | "agent-timeout";

/** A world with the service and the batch job running on four agents. */
export function running(): { w: World; online: Map<string, { agent: string; incarnation: number }> } {
  const w = new World(4); // four agents for three pods: a wrong second home exists for any pod
  w.submit(SERVICE);
  w.submit(BATCH);
  const problem = w.runUntil(() => w.converged() === null, 60_000) ? null : w.converged();
  if (problem) throw new Error(`the simulated cluster did not start: ${problem}`);
  return { w, online: onlineNow(w) };
}

export function onlineNow(w: World): Map<string, { agent: string; incarnation: number }> {
  const m = new Map<string, { agent: string; incarnation: number }>();
  for (const [id, on] of w.copies()) if (on[0]!.jobType === "service") m.set(id, { agent: on[0]!.agent, incarnation: on[0]!.incarnation });
  return m;
}

/** Service container starts or stops since `from`: any is a violation (online containers are never disturbed). */
export function onlineDisturbances(w: World, from: number) {
  return w.events.filter((e) => e.at > from && e.jobType === "service");
}

/**
 * Runs the failures as they happen: all strike at once; a failover completes after 1 s (a standby takes over, a
 * killed agent is restarted); a stalled AppMaster is replaced by a newly elected one after 5 s (the stalled one never
 * gets a word in again: fenced); an unreachable agent stays cut off past the agent timeout (15 s), then heals.
 * Agent failures hit agent a1, which runs one pod of each job.
 */
export function strike(w: World, failures: Failure[], rand?: () => number): void {
  const failover = (n: string) => failures.includes(n as Failure);
  if (failover("rm-failover")) w.crash(RM);
  if (failover("am-failover")) w.crash(AM);
  if (failover("am-timeout")) w.pause(AM);
  if (failover("agent-failover")) w.crash("a1");
  if (failover("agent-timeout")) w.isolate("a1");
  const timeouts = failures.some((f) => f.endsWith("timeout"));
  w.run(rand ? 500 + Math.floor(rand() * 1500) : 1_000);
  if (failover("rm-failover")) w.restart(RM);
  if (failover("am-failover")) w.restart(AM);
  if (failover("agent-failover")) w.restart("a1");
  if (!timeouts) return;
  w.run(4_000);
  if (failover("am-timeout")) (w.crash(AM), w.restart(AM));
  w.run(rand ? 6_000 + Math.floor(rand() * 10_000) : 10_000);
  w.net.healAll();
}


export const FAILURE_KINDS: Failure[] = ["rm-failover", "am-failover", "am-timeout", "agent-failover", "agent-timeout"];

export interface StormResult {
  seed: number;
  /** Why the run broke the rules, or null when online containers were untouched and the cluster converged. */
  violation: string | null;
  simulatedMs: number;
}

/** One seeded storm: rounds of random failures; then the checks of fuxi-scenarios.md. */
export function runStorm(seed: number, rounds = 6): StormResult {
  const rand = seededRandom(seed);
  const { w, online } = running();
  const t0 = w.now;
  for (let round = 0; round < rounds; round++) {
    strike(w, FAILURE_KINDS.filter(() => rand() < 0.35), rand);
    w.run(Math.floor(rand() * 3_000));
  }
  const converged = w.runUntil(() => w.converged() === null, 90_000);
  const disturbed = onlineDisturbances(w, t0);
  const now = onlineNow(w);
  const moved = [...online].filter(([id, o]) => now.get(id)?.agent !== o.agent || now.get(id)?.incarnation !== o.incarnation);
  const violation = !converged ? `no convergence: ${w.converged()}`
    : disturbed.length ? `online container ${disturbed[0]!.kind} on ${disturbed[0]!.agent}: ${disturbed[0]!.containerId}`
    : moved.length ? `online container ${moved[0]![0]} moved or restarted` : null;
  return { seed, violation, simulatedMs: w.now - t0 };
}
