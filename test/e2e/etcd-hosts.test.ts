// Masters on several hosts (issue #17), emulated: three network namespaces made by this test on a bridge it made
// (192.168.77.0/24, only inside them), a 3-member etcd in the root namespace on the bridge's address. Hosts h1 and h2
// run a ResMan and an AppMaster each (--etcd, --advertise with the host's address, a data dir each, no cluster dir),
// h3 an agent given both masters' addresses and the secret read from etcd. alice (not admin) submits a 3-pod service
// under a grant and a quota. kill -9 of h1's masters: h2's lead with every job, user, grant, pool, label and quota, and
// no service process restarts. Then h1's masters return as standbys and h2 is cut off: h2's masters step down by
// themselves and exit, h1's lead, the services still untouched.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { destroyAllContainers } from "../../src/agent/cleanup.ts";
import { EtcdClient } from "../../src/cluster/etcd-client.ts";
import { etcdMissing, startEtcd, type EtcdCluster } from "../../src/cluster/etcd-local.ts";
import { alive, GALAXY, hardState, memoryCgroupOf, requireBinary, stopChild, waitFor, World } from "./harness.ts";
import { BRIDGE_ADDR, Hosts, netnsMissing, type Host } from "./netns.ts";

setDefaultTimeout(180_000); // e2e: every wait below has its own deadline

interface Master { role: string; address: string; epoch: number; pid: number }
interface PodView { id: string; agent: string; state: string; restarts: number; tasks: { pid: number }[] }

const skip = netnsMissing() ?? etcdMissing;
const RM = 1645;
const AM = 1647;
const JOB = `name: web
type: service
deploy:
  replica: 3
  pools: [default]
pod:
  tasks:
    - name: web
      cpu: {millicores: 100}
      memory: {size: 64M}
      ports: [{name: http, port: dynamic}]
      start: exec node -e "require('http').createServer((q,s)=>s.end('hi')).listen(+process.env.GALAXY_PORT_HTTP)"
      health: {port: http}
`;

describe.skipIf(skip !== null)(`masters on two emulated hosts, etcd, an agent on a third${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const w = new World();
  const net = new Hosts();
  const procs = new Map<string, ChildProcess>();
  let etcd: EtcdCluster | null = null;
  let h: Host[] = [];
  let web = "";
  let aliceToken = "";
  const adminToken = "e2e-admin-token-0123456789abcdef";
  const rms = () => h.slice(0, 2).map((x) => `${x.addr}:${RM}`).join(",");
  const ams = () => h.slice(0, 2).map((x) => `${x.addr}:${AM}`).join(",");
  const agentAddr = () => `${h[2]!.addr}:1646`;

  /** Runs galaxy on host i (1-based) as a long-running process; output in DIR/<name>.out. */
  const onHost = (i: number, name: string, args: string[], env: Record<string, string> = {}) => {
    const out = Bun.file(join(w.dir, `${name}.out`)).writer();
    const child = spawn(h[i - 1]!.exec[0]!, [...h[i - 1]!.exec.slice(1), GALAXY, ...args], { env: { ...w.env, ...env }, cwd: w.dir, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d) => out.write(d));
    child.stderr!.on("data", (d) => out.write(d));
    child.on("exit", () => void out.end());
    procs.set(name, child);
    return child;
  };
  const startMasters = (i: number, gen: number) => {
    const addr = h[i - 1]!.addr;
    const common = ["--etcd", etcd!.endpoints];
    onHost(i, `rm-h${i}-${gen}`, ["resman", ...common, "--data-dir", join(w.dir, `h${i}-rm-${gen}`), "--listen", `${addr}:${RM}`, "--advertise", `${addr}:${RM}`,
      "--recovery-window", "3s", "--agent-timeout", "10s"], { GALAXY_BOOTSTRAP_ADMIN_TOKEN: adminToken });
    onHost(i, `am-h${i}-${gen}`, ["appmaster", ...common, "--data-dir", join(w.dir, `h${i}-am-${gen}`), "--listen", `${addr}:${AM}`, "--advertise", `${addr}:${AM}`,
      "--resman", rms()]);
  };
  const master = (role: string): Master | undefined => w.json(["status"]).masters.find((m: Master) => m.role === role);
  const leadersOn = (i: number) => ["resman", "appmaster"].every((r) => master(r)?.address.startsWith(`${h[i - 1]!.addr}:`));
  const pods = (): PodView[] => w.json(["pods", "-j", web]);
  const servicePids = () => pods().map((p) => [p.id, p.agent, p.tasks[0]?.pid ?? 0] as const);
  const snapshot = () => hardState(w, "alice");
  const converged = () =>
    waitFor("every pod running where AppMaster knows it runs", () => {
      const s = w.json(["status"]);
      const all = pods();
      return !s.recovering && s.agentsAlive === 1 && s.containers === 3 && all.length === 3 && all.every((p) => p.state === "running" && p.agent === agentAddr());
    }, 120_000);

  beforeAll(async () => {
    requireBinary();
    h = net.make(3);
    etcd = await startEtcd(3, { host: BRIDGE_ADDR });
    // The client (this test, in the root namespace) reaches the masters over the bridge, as admin.
    Object.assign(w.env, { GALAXY_RESMAN: rms(), GALAXY_APPMASTER: ams(), GALAXY_USER: "admin", GALAXY_TOKEN: adminToken });
    startMasters(1, 0);
    await waitFor("h1's ResMan and AppMaster to lead", () => leadersOn(1), 60_000);
    startMasters(2, 0);
    await waitFor("h2's masters to stand by", () => ["rm-h2-0", "am-h2-0"].every((n) => w.log(n).includes("standby; leader is")), 60_000);
    const secret = (await EtcdClient.fromList(etcd.endpoints).get("/galaxy/secret"))?.value ?? "";
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    onHost(3, "agent-h3", ["agent", "--data-dir", join(w.dir, "h3-agent"), "--listen", agentAddr(), "--advertise", agentAddr(), "--resman", rms(), "--appmaster", ams(),
      "--secret", secret, "--pool", "default", "--cpu", "2", "--memory", "2G", "--port-range", "30000-30999", "--task-uids", "3100000-3100999",
      "--stop-grace", "5s", "--hide", w.dir]);
    await waitFor("the agent on h3 alive", () => w.json(["status"]).agentsAlive === 1, 60_000);
    const add = w.run(["user", "add", "alice"]);
    expect(add.code).toBe(0);
    aliceToken = /[A-Za-z0-9_-]{20,}/.exec(add.stdout)![0];
    for (const args of [["grant", "alice", "--pool", "default", "--allow", "submit,list"], ["quota", "alice", "--replica", "7"], ["pool", "add", "spare"], ["label", "add", "fast", agentAddr()]]) {
      const r = w.run(args);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    writeFileSync(join(w.dir, "web.yaml"), JOB);
    const sub = w.run(["submit", "-f", join(w.dir, "web.yaml"), "--user", "alice", "--token", aliceToken]);
    expect(sub.stderr).toBe("");
    web = sub.stdout.trim();
    await converged();
  });

  afterAll(async () => {
    for (const c of procs.values()) await stopChild(c, "SIGTERM", 15_000).catch(() => null);
    if (h.length) await destroyAllContainers(join(w.dir, "h3-agent"), agentAddr()).catch(() => 0);
    net.stop();
    await etcd?.stop();
    await w.cleanup();
  });

  test("h1 leads both roles at its own address; the agent on h3 runs alice's 3 pods", () => {
    expect(leadersOn(1)).toBe(true);
    expect(master("resman")!.epoch).toBeGreaterThan(1);
    const jobs = w.json(["jobs"]);
    expect(jobs.find((j: { id: string; user?: string }) => j.id === web)).toBeTruthy();
    expect(pods().map((p) => p.agent)).toEqual([agentAddr(), agentAddr(), agentAddr()]);
    // real containers: each service process sits in a cgroup of the agent's (the agent on h3 sees the hierarchies)
    expect(servicePids().every(([, , pid]) => memoryCgroupOf(pid).includes("galaxy"))).toBe(true);
  });

  test("kill -9 of h1's ResMan and AppMaster: h2's lead with every job, user, grant, pool, label and quota; no service process restarts", async () => {
    const before = snapshot();
    expect(before.users.find((u: { name: string }) => u.name === "alice").grants).toEqual([{ pool: "default", allow: ["list", "submit"] }]);
    expect(before.pools).toContain("spare");
    expect(JSON.stringify(before.labels)).toContain("fast");
    expect(JSON.stringify(before.quota)).toContain("7");
    const pids = servicePids();
    expect(pids.every(([, , pid]) => pid > 0 && alive(pid))).toBe(true);
    const old = { rm: master("resman")!, am: master("appmaster")! };
    process.kill(old.rm.pid, "SIGKILL");
    process.kill(old.am.pid, "SIGKILL");
    await waitFor("h2's masters to lead both roles", () => leadersOn(2), 60_000);
    expect(master("resman")!.epoch).toBeGreaterThan(old.rm.epoch);
    expect(master("appmaster")!.epoch).toBeGreaterThan(old.am.epoch);
    await converged();
    expect(snapshot()).toEqual(before);
    expect(servicePids()).toEqual(pids);
    expect(pids.every(([, , pid]) => alive(pid))).toBe(true);
    expect(pods().every((p) => p.restarts === 0)).toBe(true);
    const asAlice = w.run(["jobs", "--user", "alice", "--token", aliceToken]);
    expect(asAlice.stderr).toBe("");
    expect(asAlice.code).toBe(0);
    expect(asAlice.stdout).toContain(web);
  });

  test("h2 cut off the network (its link down): its masters step down by themselves and exit; h1's lead again; services untouched", async () => {
    startMasters(1, 1);
    await waitFor("h1's new masters to stand by", () => ["rm-h1-1", "am-h1-1"].every((n) => w.log(n).includes("standby; leader is")), 60_000);
    const pids = servicePids();
    const old = { rm: master("resman")!, am: master("appmaster")! };
    net.link(2, false);
    try {
      await waitFor("h2's ResMan and AppMaster to exit", () => ["rm-h2-0", "am-h2-0"].every((n) => procs.get(n)!.exitCode !== null || procs.get(n)!.signalCode !== null), 60_000);
      await waitFor("h1's masters to lead both roles", () => leadersOn(1), 60_000);
    } finally {
      net.link(2, true);
    }
    // each stepped down on its own clock (it could not reach etcd to renew), not on a word from anyone
    for (const n of ["rm-h2-0", "am-h2-0"]) expect(w.log(n)).toContain("could not renew the lease within its TTL");
    expect(master("resman")!.epoch).toBeGreaterThan(old.rm.epoch);
    expect(master("appmaster")!.epoch).toBeGreaterThan(old.am.epoch);
    await converged();
    expect(servicePids()).toEqual(pids);
    expect(pods().every((p) => p.restarts === 0)).toBe(true);
  });
});
