// Masters on etcd (issue #17): `galaxy up --etcd` against a real 3-member etcd runs two ResMans and two AppMasters,
// each with its own data dir (no shared hard state on disk). kill -9 of the leading ResMan, then of the leading
// AppMaster: the standbys lead with every job, user, grant, pool, label and quota, and no service process restarts.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { etcdMissing, startEtcd, type EtcdCluster } from "../../src/cluster/testdata/etcd-cluster.ts";
import { alive, freeAgentPorts, freePortBase, hardState, requireBinary, ROOT, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(180_000); // e2e: every wait below has its own deadline

interface Master { role: string; address: string; epoch: number; pid: number }
interface PodView { id: string; agent: string; state: string; restarts: number; tasks: { pid: number }[] }

describe.skipIf(etcdMissing !== null)(`masters on etcd${etcdMissing ? ` (skipped: ${etcdMissing})` : ""}`, () => {
  const w = new World();
  let etcd: EtcdCluster;
  let up: ChildProcess;
  let base = 0;
  let web = "";
  let aliceToken = "";
  const agent = (i: number) => `127.0.0.1:${base + 10 + i}`;
  const master = (role: string): Master | undefined => w.json(["status"]).masters.find((m: Master) => m.role === role);
  const pods = (): PodView[] => w.json(["pods", "-j", web]);
  const servicePids = () => pods().map((p) => [p.id, p.agent, p.tasks[0]?.pid ?? 0] as const);
  const snapshot = () => hardState(w, "alice");
  const converged = () =>
    waitFor("every pod running where AppMaster knows it runs", () => {
      const s = w.json(["status"]);
      const all = pods();
      return !s.recovering && s.agentsAlive === 3 && s.containers === 3 && all.length === 3 && all.every((p) => p.state === "running" && p.agent !== "");
    }, 90_000);

  beforeAll(async () => {
    requireBinary();
    etcd = await startEtcd(3);
    base = await freePortBase(20);
    up = w.start("up", ["up", "--etcd", etcd.endpoints, "--dir", join(w.dir, "g"), "--agents", "3", "--port", String(base),
      "--ports-from", String(await freeAgentPorts()), "--agent-timeout", "5s", "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 90_000);
    const add = w.run(["user", "add", "alice"]);
    expect(add.code).toBe(0);
    aliceToken = /[A-Za-z0-9_-]{20,}/.exec(add.stdout)![0];
    for (const args of [["grant", "alice", "--pool", "default", "--allow", "submit,list"], ["quota", "alice", "--replica", "7"], ["pool", "add", "spare"], ["label", "add", "fast", agent(0), agent(1)]]) {
      expect(w.run(args).code).toBe(0);
    }
    web = w.run(["submit", "-f", join(ROOT, "testdata/jobs/web-spread.yaml")]).stdout.trim();
    await converged();
  });

  afterAll(async () => {
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
    await etcd?.stop();
  });

  test("two of each master run, with their own data dirs; one of each leads, with an etcd-assigned epoch", () => {
    const status = w.json(["status"]);
    expect(status.masters.map((m: Master) => m.role).sort()).toEqual(["appmaster", "resman"]);
    expect(w.log("up")).not.toContain("refusing");
    const rm = master("resman")!;
    expect([`127.0.0.1:${base}`, `127.0.0.1:${base + 1}`]).toContain(rm.address);
    expect(rm.epoch).toBeGreaterThan(1);
  });

  test("kill -9 of the leading ResMan and then of the leading AppMaster: the standbys lead with everything; no service restarts", async () => {
    const before = snapshot();
    const pids = servicePids();
    expect(pids.every(([, , pid]) => pid > 0 && alive(pid))).toBe(true);

    for (const role of ["resman", "appmaster"]) {
      const old = master(role)!;
      process.kill(old.pid, "SIGKILL");
      const now = await waitFor(`a new ${role} leader`, () => {
        const m = master(role);
        return m && m.pid !== old.pid ? m : null;
      }, 60_000);
      expect(now.epoch).toBeGreaterThan(old.epoch);
      await converged();
    }

    expect(snapshot()).toEqual(before);
    expect(servicePids()).toEqual(pids);
    expect(pids.every(([, , pid]) => alive(pid))).toBe(true);
    expect(pods().every((p) => p.restarts === 0)).toBe(true);
    // alice's token still works against the new leaders.
    const asAlice = w.run(["jobs", "--user", "alice", "--token", aliceToken]);
    expect(asAlice.stderr).toBe("");
    expect(asAlice.code).toBe(0);
  });

  test("a stalled ResMan leader (SIGSTOP past its TTL) is replaced; resumed, it steps down by itself and exits; services untouched", async () => {
    const pids = servicePids();
    const old = master("resman")!;
    process.kill(old.pid, "SIGSTOP");
    try {
      const now = await waitFor("a new resman leader", () => {
        const m = master("resman");
        return m && m.pid !== old.pid ? m : null;
      }, 60_000);
      expect(now.epoch).toBeGreaterThan(old.epoch);
    } finally {
      process.kill(old.pid, "SIGCONT");
    }
    await waitFor("the resumed old leader to exit", () => !alive(old.pid), 30_000);
    expect(master("resman")!.pid).not.toBe(old.pid);
    await converged();
    expect(servicePids()).toEqual(pids);
    expect(pods().every((p) => p.restarts === 0)).toBe(true);
  });
});
