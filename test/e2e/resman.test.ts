// ResMan end to end with the compiled executable on one `galaxy up` (3 agents of 1 core each): pools and labels
// steer placement, grants and quotas refuse with one clear sentence, a service preempts batch on a full cluster,
// drain empties an agent (services make-before-break, never below replica − step), and a ResMan killed with -9 comes back with all its hard state.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { freeAgentPorts, freePortBase, requireBinary, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(120_000); // e2e: every wait below has its own deadline; bun's 5 s default would cut them short

interface JobOpts { type?: string; replica: number; cpu: number; pools?: string[]; labels?: string[]; step?: number; maxPerHost?: number; anti?: string; score?: string }

describe("resman: pools, labels, grants, quotas, preemption, drain, restart", () => {
  const w = new World();
  let up: ChildProcess;
  let base = 0;
  const agent = (i: number) => `127.0.0.1:${base + 10 + i}`;

  /** Writes a job file of tasks that sleep (so pods stay running) and returns its path. */
  function jobFile(name: string, o: JobOpts): string {
    const path = join(w.dir, `${name}.yaml`);
    writeFileSync(path, [
      `name: ${name}`, `type: ${o.type ?? "service"}`, "deploy:", `  replica: ${o.replica}`, `  step: ${o.step ?? 1}`,
      `  pools: [${(o.pools ?? ["default"]).join(", ")}]`, `  labels: [${(o.labels ?? []).join(", ")}]`,
      ...(o.maxPerHost ? [`  max_per_host: ${o.maxPerHost}`] : []),
      ...(o.score ? [`  score: ${o.score}`] : []),
      ...(o.anti ? [`  anti_affinity: [{job: ${o.anti.split(":")[0]}, max_per_host: ${o.anti.split(":")[1]}}]`] : []),
      "pod:", "  workspace: {size: 16M}", "  tasks:", "    - name: main", `      cpu: {millicores: ${o.cpu}}`, "      memory: {size: 32M}",
      '      start: "exec sleep 600"', "",
    ].join("\n"));
    return path;
  }

  function submit(name: string, o: JobOpts, as: string[] = []): string {
    const r = w.run(["submit", "-f", jobFile(name, o), ...as]);
    if (r.code !== 0) throw new Error(`submit ${name}: ${r.stderr}`);
    return r.stdout.trim();
  }

  const group = (id: string) => w.json<{ group: { placed: number; running: number; pending: number }; containers: { id: string; agent: string; state: string; message: string }[] }>(["containers", id]);
  const agentsOf = (id: string) => group(id).containers.map((c) => c.agent);

  async function removeAll(ids: string[]): Promise<void> {
    for (const id of ids) w.run(["remove", id]);
    await waitFor("the jobs' containers to go", () => {
      const names = w.json<{ id: string }[]>(["containers"]).map((g) => g.id);
      return ids.every((id) => !names.includes(id));
    }, 30_000);
  }

  beforeAll(async () => {
    requireBinary();
    base = await freePortBase(20);
    const portsFrom = await freeAgentPorts();
    up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", "3", "--cpu", "1", "--memory", "2G", "--port", String(base), "--ports-from", String(portsFrom), "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
  }, 90_000);

  afterAll(async () => {
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  }, 60_000);

  test("pools and labels steer placement", async () => {
    expect(w.run(["pool", "add", "gpu"]).code).toBe(0);
    expect(w.run(["agent", "pool", agent(2), "gpu"]).stdout).toBe(`agent ${agent(2)} is in pool gpu\n`);
    expect(w.run(["label", "add", "ssd", agent(1)]).code).toBe(0);
    expect(w.json(["agents", "--pool", "gpu"]).map((a: { endpoint: string }) => a.endpoint)).toEqual([agent(2)]);
    const onGpu = submit("on-gpu", { replica: 2, cpu: 100, pools: ["gpu"] });
    const onSsd = submit("on-ssd", { replica: 2, cpu: 100, labels: ["ssd"] });
    await waitFor("both jobs placed", () => group(onGpu).group.placed === 2 && group(onSsd).group.placed === 2, 30_000);
    expect(agentsOf(onGpu)).toEqual([agent(2), agent(2)]);
    expect(agentsOf(onSsd)).toEqual([agent(1), agent(1)]);
    // a job for a label nobody has waits, and says why
    const nowhere = submit("nowhere", { replica: 1, cpu: 100, labels: ["fpga"] });
    const why = await waitFor("a scheduling error", () => group(nowhere).containers[0]?.state === "pending" && w.run(["containers", nowhere]).stdout.match(/\d agents?: labels.*/)?.[0]);
    expect(why).toContain("labels");
    const planned = w.run(["plan", "-f", jobFile("planned", { replica: 5, cpu: 400, labels: ["ssd"] }), "--json"]);
    expect(planned.code).toBe(1); // exit 1: not every pod fits now
    expect(JSON.parse(planned.stdout)).toMatchObject({ fit: 2, wanted: 5 });
    await removeAll([onGpu, onSsd, nowhere]);
    w.run(["agent", "pool", agent(2), "default"]);
    w.run(["label", "remove", "ssd", agent(1)]);
  }, 120_000);

  test("anti-affinity between jobs: plan names the reason, and the pods keep apart", async () => {
    const db = submit("db", { replica: 2, cpu: 100, maxPerHost: 1 });
    await waitFor("db placed", () => group(db).group.placed === 2, 30_000);
    const planned = w.run(["plan", "-f", jobFile("cache", { replica: 2, cpu: 100, maxPerHost: 1, anti: "db:0" })]);
    expect(planned.code).toBe(1);
    expect(planned.stdout).toContain("1 of 2 pods of cache fit");
    expect(planned.stdout).toMatch(/1 would wait: 2 agents: anti-affinity/);
    const cache = submit("cache", { replica: 1, cpu: 100, anti: "db:0" });
    await waitFor("cache placed", () => group(cache).group.placed === 1, 30_000);
    const free = [agent(0), agent(1), agent(2)].filter((a) => !agentsOf(db).includes(a));
    expect(agentsOf(cache)).toEqual(free);
    await removeAll([db, cache]);
  }, 120_000);

  test("a user without a grant is refused; a quota refusal names the dimension", async () => {
    const bob = w.run(["user", "add", "bob"]).stdout.split("\n")[1]!;
    const refused = w.run(["submit", "-f", jobFile("bobs", { replica: 1, cpu: 100 }), "--user", "bob", "--token", bob]);
    expect(refused).toMatchObject({ code: 1, stderr: "Error: user bob may not submit in any pool\n" });
    const alice = w.run(["user", "add", "alice"]).stdout.split("\n")[1]!;
    expect(w.run(["grant", "alice", "--pool", "default", "--allow", "submit,list"]).code).toBe(0);
    expect(w.run(["quota", "alice", "--memory", "50M"]).stdout).toMatch(/memory\s+0\s+50M/);
    const over = w.run(["submit", "-f", jobFile("alices", { replica: 2, cpu: 100 }), "--user", "alice", "--token", alice]);
    expect(over.code).toBe(1);
    expect(over.stderr).toBe("Error: quota of alice exceeded on memory: would use 64M of 50M\n");
    expect(w.json(["jobs", "--all"]).some((j: { name: string }) => j.name === "alices")).toBe(false);
  }, 120_000);

  test("a service job preempts a batch job on a full cluster; the batch pods go pending", async () => {
    const batch = submit("crunch", { type: "batch", replica: 3, cpu: 1000 });
    await waitFor("the batch job to fill the cluster", () => group(batch).group.running === 3, 60_000);
    expect(w.json(["plan", "-f", jobFile("web", { replica: 2, cpu: 1000 })])).toMatchObject({ fit: 2, preempting: 2 });
    const web = submit("web", { replica: 2, cpu: 1000 });
    await waitFor("the service to run", () => group(web).group.running === 2, 60_000);
    const g = group(batch);
    expect(g.group.pending).toBe(2);
    const waiting = g.containers.filter((c) => !c.agent);
    expect(waiting.map((c) => c.state)).toEqual(["preempted", "preempted"]);
    expect(waiting.every((c) => /^preempted by web-\S+ \(service\)$/.test(c.message))).toBe(true);
    expect(w.run(["containers", batch]).stdout).toMatch(/preempted\s+-\s+\d agents?: no cpu/);
    await removeAll([batch, web]);
  }, 120_000);

  test("drain empties an agent: batch at once, services never below replica − step running; agent show says drained", async () => {
    // bin-packed (the default load score would stop at half an agent): 3 of the 4 on one agent
    const svc = submit("steady", { replica: 4, cpu: 300, step: 1, score: "binpack" });
    await waitFor("the service to run", () => group(svc).group.running === 4, 60_000);
    const batch = submit("small", { type: "batch", replica: 1, cpu: 100, score: "binpack" });
    await waitFor("the batch pod to run", () => group(batch).group.running === 1, 60_000);
    const counts = new Map<string, number>();
    for (const a of agentsOf(svc)) counts.set(a, (counts.get(a) ?? 0) + 1);
    const busiest = [...counts].sort((x, y) => y[1] - x[1])[0]![0];
    expect(counts.get(busiest)).toBe(3);
    expect(agentsOf(batch)).toEqual([busiest]);
    // what a user sees: pods running (their task alive: these have no health check), and the agent's drain line
    const running = () => w.json<{ state: string }[]>(["pods", "-j", svc]).filter((p) => p.state === "running").length;
    await waitFor("every pod running (deployed a step at a time)", () => running() === 4, 60_000);
    expect(w.run(["agent", "drain", busiest]).code).toBe(0);
    let lowest = 4;
    await waitFor("the drained agent to say drained", () => {
      lowest = Math.min(lowest, running());
      return w.json(["agent", "show", busiest]).agent.drain === "drained";
    }, 90_000, 100);
    expect(lowest).toBeGreaterThanOrEqual(4 - 1);
    expect(w.run(["agent", "show", busiest]).stdout).toContain("drained    every container moved away\n");
    await waitFor("the service to run elsewhere", () => running() === 4, 60_000);
    expect(agentsOf(svc)).not.toContain(busiest);
    await waitFor("the batch pod rescheduled, not lost", () => group(batch).group.running === 1, 60_000);
    expect(agentsOf(batch)).not.toContain(busiest);
    expect(w.json(["agents"]).find((a: { endpoint: string }) => a.endpoint === busiest).state).toBe("draining");
    await removeAll([batch]);
  }, 120_000);

  test("ResMan killed with -9 comes back with every user, pool, label, agent state and group", async () => {
    w.run(["pool", "add", "spare"]);
    w.run(["label", "add", "fast", agent(0), agent(1)]);
    w.run(["quota", "alice", "--replica", "7"]);
    const snapshot = () => ({
      users: w.json(["users"]), pools: w.json(["pools"]).map((p: { name: string }) => p.name), labels: w.json(["labels"]),
      agents: w.json(["agents"]).map((a: { endpoint: string; state: string; pool: string; labels: string[] }) => [a.endpoint, a.state, a.pool, a.labels]),
      groups: w.json(["containers"]).map((g: { id: string; replica: number }) => [g.id, g.replica]),
      quota: w.json(["quota", "alice"]).quota,
    });
    const before = snapshot();
    expect(before.groups.length).toBe(1);
    const leaderFile = join(w.dir, "g", "cluster", "resman.leader");
    const old = JSON.parse(readFileSync(leaderFile, "utf8"));
    process.kill(old.pid, "SIGKILL");
    await waitFor("a new ResMan leader", () => JSON.parse(readFileSync(leaderFile, "utf8")).pid !== old.pid, 30_000);
    await waitFor("every agent to report again", () => {
      const s = w.json(["status"]);
      return !s.recovering && !s.safeMode && s.agentsAlive + s.agentsDraining === 3;
    }, 30_000);
    expect(snapshot()).toEqual(before);
  }, 120_000);
});
