// The 17 failure combinations of fuxi-scenarios.md, scripted on the deterministic simulation, plus seeded random
// interleavings. Each checks: online containers untouched (same agent, same incarnation, never a second copy),
// offline containers on an unreachable agent revoked and rescheduled, and convergence with no leak or double count.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../scheduler/random.ts";
import { AM, RM, World } from "./world.ts";

const SERVICE = `name: web
type: service
deploy: {replica: 3, pools: [default], spread: true, max_per_host: 1}
pod:
  tasks: [{name: main, cpu: {millicores: 500}, memory: {size: 256M}, start: "serve"}]
`;
const BATCH = `name: crunch
type: batch
deploy: {replica: 3, pools: [default], spread: true}
pod:
  tasks: [{name: main, cpu: {millicores: 500}, memory: {size: 256M}, start: "crunch"}]
`;

type Failure = "rm-failover" | "am-failover" | "am-timeout" | "agent-failover" | "agent-timeout";

/** A world with the service and the batch job running on four agents. */
function running(): { w: World; online: Map<string, { agent: string; incarnation: number }> } {
  const w = new World(4); // four agents for three pods: a wrong second home exists for any pod
  w.submit(SERVICE);
  w.submit(BATCH);
  const ok = w.runUntil(() => w.converged() === null, 60_000);
  expect(w.converged()).toBeNull();
  expect(ok).toBe(true);
  return { w, online: onlineNow(w) };
}

function onlineNow(w: World): Map<string, { agent: string; incarnation: number }> {
  const m = new Map<string, { agent: string; incarnation: number }>();
  for (const [id, on] of w.copies()) if (on[0]!.jobType === "service") m.set(id, { agent: on[0]!.agent, incarnation: on[0]!.incarnation });
  return m;
}

/** No online container ever ran twice or was stopped while the failures lasted. */
function onlineNeverDisturbed(w: World, from: number): void {
  const stops = w.events.filter((e) => e.at > from && e.jobType === "service" && e.kind === "stop");
  const starts = w.events.filter((e) => e.at > from && e.jobType === "service" && e.kind === "start");
  expect(stops).toEqual([]);
  expect(starts).toEqual([]);
}

/**
 * Runs the failures as they happen: all strike at once; a failover completes after 1 s (a standby takes over, a
 * killed agent is restarted); a stalled AppMaster is replaced by a newly elected one after 5 s (the stalled one never
 * gets a word in again: fenced); an unreachable agent stays cut off past the agent timeout (15 s), then heals.
 * Agent failures hit agent a1, which runs one pod of each job.
 */
function strike(w: World, failures: Failure[], rand?: () => number): void {
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

const SCENARIOS: [number, Failure[]][] = [
  [1, ["rm-failover"]], [2, ["am-failover"]], [3, ["am-timeout"]], [4, ["agent-failover"]], [5, ["agent-timeout"]],
  [6, ["am-failover", "agent-failover"]], [7, ["am-failover", "agent-timeout"]], [8, ["am-timeout", "agent-failover"]],
  [9, ["am-timeout", "agent-timeout"]], [10, ["rm-failover", "am-failover"]], [11, ["rm-failover", "am-timeout"]],
  [12, ["rm-failover", "agent-failover"]], [13, ["rm-failover", "agent-timeout"]],
  [14, ["rm-failover", "am-failover", "agent-failover"]], [15, ["rm-failover", "am-failover", "agent-timeout"]],
  [16, ["rm-failover", "am-timeout", "agent-failover"]], [17, ["rm-failover", "am-timeout", "agent-timeout"]],
];

describe("Fuxi's 17 failure scenarios (simulated)", () => {
  for (const [n, failures] of SCENARIOS) {
    test(`${n}: ${failures.join(" + ")}`, () => {
      const { w, online } = running();
      const batchOnA1 = [...w.copies()].filter(([, on]) => on[0]!.jobType === "batch" && on[0]!.agent === "a1").map(([id]) => id);
      const t0 = w.now;
      let movedWhileCut = false;
      const check = () => (movedWhileCut ||= batchOnA1.length > 0 && batchOnA1.every((id) => w.copies().get(id)!.some((c) => c.agent !== "a1")));
      const orig = w.run.bind(w);
      w.run = (ms: number) => { const end = w.now + ms; while (w.now < end) { orig(100); check(); } };
      strike(w, failures);
      w.run = orig;
      // offline work on an unreachable agent is revoked and rescheduled while it is cut off
      if (failures.includes("agent-timeout")) expect(movedWhileCut).toBe(true);
      const ok = w.runUntil(() => w.converged() === null, 60_000);
      expect(w.converged()).toBeNull();
      expect(ok).toBe(true);
      onlineNeverDisturbed(w, t0);
      expect(onlineNow(w)).toEqual(online);
    });
  }
});

describe("random interleavings of failures (seeded)", () => {
  const kinds: Failure[] = ["rm-failover", "am-failover", "am-timeout", "agent-failover", "agent-timeout"];
  for (let seed = 1; seed <= 40; seed++) {
    test(`seed ${seed}: online untouched and convergence after every storm`, () => {
      const rand = seededRandom(seed);
      const { w, online } = running();
      const t0 = w.now;
      for (let round = 0; round < 6; round++) {
        strike(w, kinds.filter(() => rand() < 0.35), rand);
        w.run(Math.floor(rand() * 3_000));
      }
      const ok = w.runUntil(() => w.converged() === null, 90_000);
      expect(w.converged()).toBeNull();
      expect(ok).toBe(true);
      onlineNeverDisturbed(w, t0);
      expect(onlineNow(w)).toEqual(online);
    });
  }
});
