// Two ResMan processes on one cluster dir: kill -9 the leader; the standby takes the lock, bumps the epoch,
// agents heartbeat to it, and the running job is not touched (same task pids, no restart).
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { freeAgentPorts, alive, freePortBase, httpGet, requireBinary, ROOT, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(120_000); // e2e: every wait below has its own deadline; bun's 5 s default would cut them short

interface Leader { addr: string; epoch: number; pid: number }

describe("ResMan failover with a standby", () => {
  const w = new World();
  let up: ChildProcess;
  let standby: ChildProcess;
  let base = 0;
  const cluster = () => join(w.dir, "g", "cluster");
  const leader = (): Leader => JSON.parse(readFileSync(join(cluster(), "resman.leader"), "utf8"));

  beforeAll(async () => {
    requireBinary();
    base = await freePortBase(20);
    up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", "2", "--port", String(base), "--ports-from", String(await freeAgentPorts()), "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
  });

  afterAll(async () => {
    if (standby) await stopChild(standby, "SIGTERM", 10_000);
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  test("the standby takes over, agents follow, and the job keeps running untouched", async () => {
    const jobId = w.run(["submit", "-f", join(ROOT, "testdata/jobs/hello.yaml")]).stdout.trim();
    const pods = await waitFor("3 pods running", () => {
      const ps = w.json(["pods", "-j", jobId]);
      return ps.length === 3 && ps.every((p: { state: string }) => p.state === "running") ? ps : null;
    }, 60_000);
    const pids = pods.map((p: { tasks: { pid: number }[] }) => p.tasks[0]!.pid);

    standby = w.start("standby", ["resman", "--data-dir", join(w.dir, "g", "resman"), "--cluster-dir", cluster(), "--listen", `127.0.0.1:${base + 5}`, "--recovery-window", "3s"]);
    await waitFor("the standby to wait on the lock", () => w.log("standby").includes("standby; leader is"), 20_000);
    // a waiting standby rehearses a takeover (in slices, still polling the lock), so its hot paths are compiled
    await waitFor("the standby's warm-up", () => w.log("standby").includes("warmed up for a takeover"), 20_000);
    // a standby holds no LMDB env on its leader's data dir: it opens it when it takes the lock
    const dataFile = join(w.dir, "g", "resman", "data.mdb");
    const mapped = () => readFileSync(`/proc/${standby.pid}/maps`, "utf8").includes(dataFile);
    expect(mapped()).toBe(false);
    const old = leader();
    expect(old.addr).toBe(`127.0.0.1:${base}`);

    process.kill(old.pid, "SIGKILL");
    const next = await waitFor("a new ResMan leader", () => {
      const l = leader();
      return l.pid !== old.pid && l.epoch > old.epoch ? l : null;
    }, 10_000);
    expect(next.epoch).toBe(old.epoch + 1);
    expect(next.addr).toBe(`127.0.0.1:${base + 5}`); // the standby, which was already waiting, wins
    expect(await waitFor("the new leader to open its store", mapped, 10_000)).toBe(true);

    // agents heartbeat to the new leader; status through it shows both alive and all 3 containers placed
    const s = await waitFor("status from the new leader", () => {
      const st = w.json(["status"]);
      return st.masters.find((m: { role: string }) => m.role === "resman")?.epoch === next.epoch && st.agentsAlive === 2 && !st.recovering ? st : null;
    }, 20_000);
    expect(s.containers).toBe(3);
    expect(s.pending).toBe(0);

    // the job was not touched: same processes, no restarts, still answering
    // (AppMaster's view may lag the new leader by a sync round: wait for it to show every pod running again)
    const after = await waitFor("AppMaster to show every pod running", () => {
      const ps = w.json(["pods", "-j", jobId]);
      return ps.every((p: { state: string }) => p.state === "running") ? ps : null;
    }, 20_000);
    expect(after.map((p: { tasks: { pid: number }[] }) => p.tasks[0]!.pid)).toEqual(pids);
    expect(after.map((p: { state: string; restarts: number }) => [p.state, p.restarts])).toEqual(after.map(() => ["running", 0]));
    for (const pid of pids) expect(alive(pid)).toBe(true);
    for (const p of after) expect(await httpGet(p.ports[0].port)).toBe(`hello from ${p.id}\n`);
  });
});
