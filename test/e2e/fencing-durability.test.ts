// Fencing: a leader stalled with SIGSTOP is deposed by its standby after the lease; when SIGCONT wakes it, it finds
// it lost the lock and steps down having changed nothing. Durability: kill -9 of the masters during a burst of
// submits from several clients loses no acknowledged job.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeAgentPorts, alive, freePortBase, GALAXY, requireBinary, ROOT, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(120_000); // e2e: every wait below has its own deadline; bun's 5 s default would cut them short

interface Leader { addr: string; epoch: number; pid: number }

describe("fencing and durability", () => {
  const w = new World();
  let up: ChildProcess;
  const standbys: ChildProcess[] = [];
  let base = 0;
  const cluster = () => join(w.dir, "g", "cluster");
  const leader = (role: string): Leader => JSON.parse(readFileSync(join(cluster(), `${role}.leader`), "utf8"));

  beforeAll(async () => {
    requireBinary();
    base = await freePortBase(20);
    up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", "2", "--port", String(base), "--ports-from", String(await freeAgentPorts()), "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
    standbys.push(w.start("rm-standby", ["resman", "--data-dir", join(w.dir, "g", "resman"), "--cluster-dir", cluster(), "--listen", `127.0.0.1:${base + 5}`, "--recovery-window", "3s"]));
    standbys.push(w.start("am-standby", ["appmaster", "--data-dir", join(w.dir, "g", "appmaster"), "--cluster-dir", cluster(), "--listen", `127.0.0.1:${base + 6}`]));
    await waitFor("both standbys waiting", () => w.log("rm-standby").includes("standby; leader is") && w.log("am-standby").includes("standby; leader is"), 20_000);
  });

  afterAll(async () => {
    if (process.env.KEEP_LOGS) Bun.spawnSync(["sh", "-c", `rm -rf /tmp/fence-logs; cp -r ${join(w.dir, "g", "logs")} /tmp/fence-logs; cp ${w.dir}/*.out /tmp/fence-logs/`]);
    for (const s of standbys) await stopChild(s, "SIGTERM", 10_000);
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  for (const role of ["resman", "appmaster"] as const) {
    test(`a ${role} leader stopped with SIGSTOP is deposed and, woken, steps down having changed nothing`, async () => {
      const job = w.run(["submit", "-f", join(ROOT, "testdata/jobs/hello.yaml")]).stdout.trim();
      const pods = await waitFor("3 pods running", () => {
        const ps = w.json(["pods", "-j", job]);
        return ps.length === 3 && ps.every((p: { state: string }) => p.state === "running") ? ps : null;
      }, 60_000);
      const pids = pods.map((p: { tasks: { pid: number }[] }) => p.tasks[0]!.pid);
      const old = leader(role);
      process.kill(old.pid, "SIGSTOP");
      let next: Leader;
      try {
        next = await waitFor(`the ${role} standby to take over after the lease`, () => {
          const l = leader(role);
          return l.pid !== old.pid && l.epoch > old.epoch ? l : null;
        }, 20_000);
        // the new leader works: a job submitted now gets placed and runs
        const second = w.run(["submit", "-f", join(ROOT, "testdata/jobs/batch-sleep.yaml")]).stdout.trim();
        await waitFor("the new job to run under the new leader", () => w.json(["pods", "-j", second]).filter((p: { state: string }) => p.state === "running").length === 3, 60_000);
        w.run(["remove", second]);
      } finally {
        process.kill(old.pid, "SIGCONT");
      }
      // woken, the deposed leader notices and exits (galaxy up restarts it as a standby)
      await waitFor("the deposed leader to step down", () => !alive(old.pid), 20_000);
      expect(leader(role)).toMatchObject({ pid: next!.pid, epoch: next!.epoch });
      // pods are re-reported by their workers (a worker whose call hung on the stalled leader retries after its timeout)
      const after = await waitFor("every pod reported running again", () => {
        const ps = w.json(["pods", "-j", job]);
        return ps.length === 3 && ps.every((p: { state: string; tasks: unknown[] }) => p.state === "running" && p.tasks.length > 0) ? ps : null;
      }, 30_000);
      expect(after.map((p: { tasks: { pid: number }[] }) => p.tasks[0]!.pid)).toEqual(pids);
      expect(after.every((p: { state: string; restarts: number }) => p.state === "running" && p.restarts === 0)).toBe(true);
      w.run(["remove", job]);
      await waitFor("the job to go", () => !w.run(["jobs", "--json"]).stdout.includes(job), 30_000);
    });
  }

  test("kill -9 of both masters during a burst of submits from several clients loses no acknowledged job", async () => {
    const text = readFileSync(join(ROOT, "testdata/jobs/batch-sleep.yaml"), "utf8");
    const dir = mkdtempSync(join(tmpdir(), "galaxy-burst-"));
    let k = 0;
    const acked: string[] = [];
    const submitLoop = (n: number) =>
      new Promise<void>((resolve) => {
        let left = n;
        const next = () => {
          if (left-- <= 0) return resolve();
          const file = join(dir, `sleeper${++k}.yaml`); // job names are unique per user
          writeFileSync(file, text.replace("name: sleeper", `name: sleeper${k}`));
          const c = spawn(GALAXY, ["submit", "-f", file], { env: w.env, stdio: ["ignore", "pipe", "ignore"] });
          let out = "";
          c.stdout!.on("data", (d) => (out += d));
          c.on("exit", (code) => {
            if (code === 0 && out.trim()) acked.push(out.trim());
            next();
          });
        };
        next();
      });
    const clients = Promise.all([submitLoop(12), submitLoop(12), submitLoop(12)]);
    await waitFor("a few acknowledged submits", () => acked.length >= 4, 30_000);
    process.kill(leader("appmaster").pid, "SIGKILL");
    await waitFor("more acknowledged submits", () => acked.length >= 10, 60_000);
    process.kill(leader("resman").pid, "SIGKILL");
    await clients;
    rmSync(dir, { recursive: true, force: true });
    expect(acked.length).toBeGreaterThan(10);
    const ids = await waitFor("every acknowledged job listed", () => {
      const r = w.run(["jobs", "--json"]);
      if (r.code !== 0) return null;
      const listed = new Set(JSON.parse(r.stdout).map((j: { id: string }) => j.id));
      return acked.every((id) => listed.has(id)) ? listed : null;
    }, 30_000);
    expect(ids.size).toBeGreaterThanOrEqual(acked.length);
  });
});
