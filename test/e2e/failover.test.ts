// Fuxi's failure scenarios with real processes (../shared/design/fuxi-scenarios.md): one `galaxy up` with three
// agents, an online service and an offline batch job spread over them; each scenario kills (SIGKILL) or stalls
// (SIGSTOP) real role processes, heals, and checks that every service process kept its pid and agent, that batch
// work on an unreachable agent moved, and that the cluster converges with nothing left over or counted twice.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { freeAgentPorts, alive, freePortBase, processesMentioning, requireBinary, ROOT, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(120_000); // e2e: every wait below has its own deadline; bun's 5 s default would cut them short

interface PodView { id: string; agent: string; state: string; restarts: number; tasks: { pid: number }[] }
interface Snap { pod: string; agent: string; pid: number }

describe("failure scenarios with real processes", () => {
  const w = new World();
  let up: ChildProcess;
  let base = 0;
  let web = "";
  let batch = "";
  const g = () => join(w.dir, "g");
  const leaderPid = (role: string) => JSON.parse(readFileSync(join(g(), "cluster", `${role}.leader`), "utf8")).pid as number;
  const agentEndpoint = (i: number) => `127.0.0.1:${base + 10 + i}`;
  const agentPid = (i: number) =>
    processesMentioning(agentEndpoint(i)).find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("\0agent\0")) ?? 0;
  const agentIndex = (endpoint: string) => Number(endpoint.split(":")[1]) - base - 10;
  const pods = (job: string): PodView[] => w.json(["pods", "-j", job]);
  const snap = (job: string): Snap[] => pods(job).map((p) => ({ pod: p.id, agent: p.agent, pid: p.tasks[0]?.pid ?? 0 }));

  /** Kills a role process and waits until `galaxy up` has started its replacement (a different pid). */
  const killAndWait = async (what: string, pidOf: () => number) => {
    const old = pidOf();
    expect(old).toBeGreaterThan(0);
    process.kill(old, "SIGKILL");
    await waitFor(`a new ${what} process`, () => {
      const now = pidOf();
      return now > 0 && now !== old;
    }, 30_000);
  };
  const killResMan = () => killAndWait("ResMan leader", () => leaderPid("resman"));
  const killAppMaster = () => killAndWait("AppMaster leader", () => leaderPid("appmaster"));
  const killAgent = (i: number) => killAndWait(`agent ${i}`, () => agentPid(i));

  /** Every pod of both jobs running where AppMaster knows it runs (after its failover it learns the agent from
   *  ResMan's hints once ResMan has recovered), ResMan settled with exactly 6 containers and none pending. */
  const converged = () =>
    waitFor("the cluster to converge", () => {
      const s = w.json(["status"]);
      const all = [...pods(web), ...pods(batch)];
      return s.agentsAlive === 3 && !s.recovering && s.containers === 6 && s.pending === 0 && all.length === 6 && all.every((p) => p.state === "running" && p.agent !== "");
    }, 60_000);

  /** Online: same agent, same pid, still alive, never restarted. */
  const expectServicesUntouched = (before: Snap[]) => {
    const now = snap(web);
    expect(now).toEqual(before);
    for (const s of before) expect(alive(s.pid)).toBe(true);
    expect(pods(web).every((p) => p.restarts === 0)).toBe(true);
  };

  beforeAll(async () => {
    requireBinary();
    base = await freePortBase(20);
    up = w.start("up", ["up", "--dir", g(), "--agents", "3", "--port", String(base), "--ports-from", String(await freeAgentPorts()), "--agent-timeout", "3s", "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
    web = w.run(["submit", "-f", join(ROOT, "testdata/jobs/web-spread.yaml")]).stdout.trim();
    batch = w.run(["submit", "-f", join(ROOT, "testdata/jobs/batch-sleep.yaml")]).stdout.trim();
    await converged();
    expect(new Set(snap(web).map((s) => s.agent)).size).toBe(3);
  });

  afterAll(async () => {
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  test("1: ResMan failover rebuilds placement from agents; nothing revoked", async () => {
    const before = snap(web);
    const batchBefore = snap(batch);
    await killResMan();
    await converged();
    expectServicesUntouched(before);
    expect(snap(batch)).toEqual(batchBefore); // offline work on live agents is kept too
  });

  test("2: AppMaster failover rebuilds pods from workers and hints; no pod restarts", async () => {
    const before = snap(web);
    const batchBefore = snap(batch);
    await killAppMaster();
    await converged();
    expectServicesUntouched(before);
    expect(snap(batch)).toEqual(batchBefore);
  });

  test("4: agent failover re-adopts its containers from its checkpoint", async () => {
    const before = snap(web);
    const batchBefore = snap(batch);
    await killAgent(0);
    await converged();
    expectServicesUntouched(before);
    expect(snap(batch)).toEqual(batchBefore);
  });

  test("5: agent timeout: online containers stay, offline ones are revoked and rescheduled", async () => {
    const before = snap(web);
    const victim = agentIndex(snap(batch)[0]!.agent);
    const batchOnVictim = snap(batch).filter((s) => agentIndex(s.agent) === victim);
    const pid = agentPid(victim);
    process.kill(pid, "SIGSTOP");
    try {
      await waitFor("the batch pods of the silent agent to run elsewhere", () =>
        batchOnVictim.every((b) => {
          const p = pods(batch).find((x) => x.id === b.pod)!;
          return p.agent !== b.agent && p.state === "running";
        }), 30_000);
      // the service pod on the silent agent is kept (lost), its process untouched
      const lost = pods(web).find((p) => agentIndex(p.agent) === victim)!;
      expect(lost.agent).toBe(agentEndpoint(victim));
      expect(alive(lost.tasks[0]!.pid)).toBe(true);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await converged();
    expectServicesUntouched(before);
    // the revoked batch copies on the returned agent are destroyed (no leak, no double count)
    await waitFor("the old batch processes to be gone", () => batchOnVictim.every((b) => !alive(b.pid)), 20_000);
  });

  test("10: ResMan and AppMaster failover together", async () => {
    const before = snap(web);
    await Promise.all([killResMan(), killAppMaster()]);
    await converged();
    expectServicesUntouched(before);
  });

  test("12: ResMan failover and an agent restart together: the checkpointed caps are reported", async () => {
    const before = snap(web);
    const batchBefore = snap(batch);
    await Promise.all([killResMan(), killAgent(1)]);
    await converged();
    expectServicesUntouched(before);
    expect(snap(batch)).toEqual(batchBefore);
  });
  test("13: ResMan failover while an agent is unreachable: AppMaster's hints hold its online containers", async () => {
    const before = snap(web);
    const victim = agentIndex(before[0]!.agent);
    const pid = agentPid(victim);
    process.kill(pid, "SIGSTOP");
    try {
      await killResMan();
      // past the new leader's recovery window (3 s) and the agent timeout (3 s): the silent agent's service pod must
      // stay where it is (held by AppMaster's hints), not be started a second time elsewhere
      await waitFor("the new ResMan to have synced with AppMaster", () => {
        const s = w.json(["status"]);
        return !s.recovering && s.agentsDead === 1;
      }, 30_000);
      const held = w.json(["containers", web, "--json"]);
      const mine = (held.containers ?? held).filter((c: { agent: string }) => c.agent === agentEndpoint(victim));
      expect(mine.length).toBe(1);
      expect(pods(web).filter((p) => p.agent !== agentEndpoint(victim)).map((p) => p.id).sort()).toEqual(before.filter((b) => agentIndex(b.agent) !== victim).map((b) => b.pod).sort());
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await converged();
    expectServicesUntouched(before);
  });
});
