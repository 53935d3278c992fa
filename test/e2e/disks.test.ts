// Disks and stateful services end to end (issue 21), with `galaxy up` and two agents given two device directories each
// (`--volume disk:DIR:20G`): exclusive volumes keep others off their device; a volume larger than any device's free
// space is refused naming the device; a persistent volume's file survives an update that recreates the container and
// an agent restart, and goes when the job is removed; a sticky one waits for its agent (offline) and goes back; a
// volume over its size is killed by the disk watcher with the reason in the pod's events; a task's io throttle reaches
// the blkio cgroup and holds a direct-io dd near its limit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeAgentPorts, freePortBase, processesMentioning, requireBinary, stopChild, waitFor, World } from "./harness.ts";

const isRoot = process.getuid?.() === 0;
const V1 = "/sys/fs/cgroup";
const hasBlkio = isRoot && existsSync(`${V1}/blkio/blkio.throttle.write_bps_device`) && existsSync(`${V1}/memory/cgroup.procs`);
const G = 1024 ** 3;

interface DeviceUse { path: string; size: number; allocated: number; holder: string; volumes: number }
interface AgentJson { endpoint: string; deviceUse: DeviceUse[]; data: { containerId: string; path: string; device: string }[]; cannotEnforce: string[] }

/** Every file named `name` below dir. */
function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: import("node:fs").Dirent[] = [];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name === name) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(!hasBlkio)("disks: devices, persistent volumes, io throttles", () => {
  const w = new World();
  const devices = join(w.dir, "devices");
  let up: ChildProcess | null = null;
  let base = 0;
  const jobs: Record<string, string> = {};
  const agents = (): AgentJson[] => w.json(["agents"]);
  const pods = (id: string): { id: string; state: string; agent: string; version: number }[] => w.json(["pods", "-j", id]);
  const jobFile = (name: string, text: string) => {
    const f = join(w.dir, `${name}.yaml`);
    writeFileSync(f, text);
    chmodSync(f, 0o644);
    return f;
  };
  const submit = (name: string, text: string) => {
    const r = w.run(["submit", "-f", jobFile(name, text)]);
    expect(r).toMatchObject({ code: 0 });
    jobs[name] = r.stdout.trim();
    return jobs[name]!;
  };
  const allRunning = (id: string, n: number) =>
    waitFor(`${n} running pods of ${id}`, () => {
      const ps = pods(id).filter((p) => p.state === "running");
      return ps.length === n ? ps : null;
    }, 90_000);

  beforeAll(async () => {
    requireBinary();
    mkdirSync(devices, { recursive: true });
    chmodSync(w.dir, 0o755);
    base = await freePortBase(20);
    up = w.start("up", [
      "up", "--dir", join(w.dir, "g"), "--agents", "2", "--cpu", "2", "--memory", "2G", "--port", String(base), "--ports-from", String(await freeAgentPorts(2)),
      "--volume", `disk:${devices}/{i}/d1:20G`, "--volume", `disk:${devices}/{i}/d2:20G`, "--quiet",
    ]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
  }, 90_000);

  afterAll(async () => {
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  test("galaxy agents lists each agent's devices, and says what the host cannot enforce", () => {
    const out = w.run(["agents"]).stdout;
    for (const i of [0, 1]) for (const d of ["d1", "d2"]) expect(out).toContain(`device ${devices}/${i}/${d} disk 0 of 20G allocated (0 volumes), 20G left`);
    if (!existsSync(`${V1}/blkio/blkio.weight`) && !existsSync(`${V1}/blkio/blkio.bfq.weight`)) expect(out).toContain("cannot enforce io weight: no blkio.weight");
    expect(out).toContain("cannot enforce disk sizes as quotas: a container over a volume's or workspace's size is killed after --disk-grace");
  }, 30_000);

  test("an exclusive volume keeps every other volume off its device; a volume larger than any device's room is refused naming it", async () => {
    const store = submit("store", `name: store
deploy: {replica: 2, max_per_host: 1, pools: [default]}
pod:
  workspace: {size: 64M}
  volumes: [{path: /galaxy-e2e-disk1, size: 10G, exclusive: true}]
  tasks: [{name: main, cpu: {millicores: 50}, memory: {size: 32M}, start: "exec sleep 1000000"}]
`);
    await allRunning(store, 2);
    const web = submit("shared", `name: shared
deploy: {replica: 4, pools: [default]}
pod:
  workspace: {size: 64M}
  volumes: [{path: /galaxy-e2e-data, size: 4G}]
  tasks: [{name: main, cpu: {millicores: 50}, memory: {size: 32M}, start: "echo here > /galaxy-e2e-data/mark; exec sleep 1000000"}]
`);
    await allRunning(web, 4);
    for (const a of agents()) {
      const held = a.deviceUse.filter((d) => d.holder.startsWith(`${store}.`));
      expect(held).toHaveLength(1);
      expect(held[0]).toMatchObject({ volumes: 0, allocated: 20 * G });
      const other = a.deviceUse.find((d) => !d.holder)!;
      expect(other.allocated).toBe(other.volumes * 4 * G);
      // on the disk: the shared volumes' files are all on the device the exclusive one does not hold
      expect(findFiles(held[0]!.path, "mark")).toEqual([]);
      expect(findFiles(other.path, "mark")).toHaveLength(other.volumes);
    }
    expect(agents().reduce((n, a) => n + a.deviceUse.reduce((m, d) => m + d.volumes, 0), 0)).toBe(4);
    // a volume 1G larger than the most room any device has left fits none, whatever the agents' disk totals
    const most = Math.max(...agents().flatMap((a) => a.deviceUse.filter((d) => !d.holder).map((d) => (d.size - d.allocated) / G)));
    const big = jobFile("big", `name: big
deploy: {replica: 1, pools: [default]}
pod:
  workspace: {size: 64M}
  volumes: [{path: /galaxy-e2e-data, size: ${most + 1}G}]
  tasks: [{name: main, cpu: {millicores: 50}, memory: {size: 32M}, start: "exec sleep 1000000"}]
`);
    const plan = w.run(["plan", "-f", big]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(`no disk device has ${most + 1}G free for /galaxy-e2e-data (most: ${devices}/`);
    expect(plan.stdout).toMatch(new RegExp(`\\(most: ${devices}/[01]/d[12], ${most}G\\)`));
    const fits = w.run(["plan", "-f", jobFile("small", readFileSync(big, "utf8").replace(`${most + 1}G`, "2G"))]);
    expect(fits.code).toBe(0);
    expect(fits.stdout).toMatch(new RegExp(`/galaxy-e2e-data on ${devices}/[01]/d[12]`));
    for (const id of [store, web]) expect(w.run(["remove", id]).code).toBe(0);
    await waitFor("the devices to be free again", () => agents().every((a) => a.deviceUse.every((d) => d.allocated === 0)), 60_000);
  }, 240_000);

  test("a persistent volume's file survives an update that recreates the container and an agent restart; removing the job deletes it", async () => {
    const text = (cpu: number) => `name: db
deploy: {replica: 1, pools: [default]}
pod:
  workspace: {size: 64M}
  volumes: [{path: /galaxy-e2e-db, size: 1G, persistent: true}]
  tasks: [{name: main, cpu: {millicores: ${cpu}}, memory: {size: 32M}, start: "echo boot-${cpu} >> /galaxy-e2e-db/boot.log; exec sleep 1000000"}]
`;
    const db = submit("db", text(50));
    const [first] = await allRunning(db, 1);
    const log = await waitFor("boot.log on a device", () => findFiles(devices, "boot.log")[0], 30_000);
    expect(log).toContain(`/persistent/${first!.id}/`);
    expect(readFileSync(log, "utf8")).toBe("boot-50\n");
    expect(w.run(["update", db, "-f", jobFile("db", text(60))]).code).toBe(0);
    await waitFor("the recreated pod to have booted", () => readFileSync(log, "utf8") === "boot-50\nboot-60\n", 90_000);
    const [second] = await allRunning(db, 1);
    expect(second!.agent).toBe(first!.agent); // sent back to the agent holding its data
    // the agent restarts (kill -9; galaxy up starts it again): the data is still there and still reported
    const endpoint = second!.agent;
    const agentPid = processesMentioning(endpoint).find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("\0agent\0"));
    process.kill(agentPid!, "SIGKILL");
    await waitFor("the agent to come back", () => {
      const pid = processesMentioning(endpoint).find((p) => readFileSync(`/proc/${p}/cmdline`, "utf8").includes("\0agent\0"));
      return pid && pid !== agentPid;
    }, 30_000);
    await waitFor("the agent to report the data again", () => w.run(["agent", "show", endpoint]).stdout.includes(`data       ${second!.id} /galaxy-e2e-db on ${devices}/`), 30_000);
    expect(readFileSync(log, "utf8")).toBe("boot-50\nboot-60\n");
    expect(w.run(["remove", db]).code).toBe(0);
    await waitFor("the data to be deleted with the job", () => !existsSync(log), 60_000);
    const i = endpoint.endsWith(String(base + 10)) ? 0 : 1;
    expect(readFileSync(join(w.dir, "g", "logs", `agent-${i}.log`), "utf8")).toContain(`removed the persistent data of ${second!.id}`);
  }, 300_000);

  test("a sticky persistent volume's pod waits for its agent, saying where its data is, and goes back there", async () => {
    const text = (cpu: number) => `name: vault
deploy: {replica: 1, pools: [default]}
pod:
  workspace: {size: 64M}
  volumes: [{path: /galaxy-e2e-vault, size: 1G, persistent: true, sticky: true}]
  tasks: [{name: main, cpu: {millicores: ${cpu}}, memory: {size: 32M}, start: "echo boot-${cpu} >> /galaxy-e2e-vault/vault.log; exec sleep 1000000"}]
`;
    const vault = submit("vault", text(50));
    const [first] = await allRunning(vault, 1);
    const log = await waitFor("vault.log on a device", () => findFiles(devices, "vault.log")[0], 30_000);
    await waitFor("the agent to report the data", () => w.run(["agent", "show", first!.agent]).stdout.includes(`data       ${first!.id} /galaxy-e2e-vault`), 30_000);
    expect(w.run(["agent", "offline", first!.agent]).code).toBe(0);
    expect(w.run(["update", vault, "-f", jobFile("vault", text(60))]).code).toBe(0);
    const waiting = await waitFor("the pod to wait for its data's agent", () => {
      const p = (w.json(["pods", "-j", vault]) as { lastError: string; agent: string }[])[0];
      return p && !p.agent && p.lastError.includes(`its data is on ${first!.agent}`) ? p : null;
    }, 60_000);
    expect(waiting.lastError).toContain("agent offline");
    expect(w.run(["agent", "online", first!.agent]).code).toBe(0);
    await waitFor("the pod back on its agent, its data kept", () => readFileSync(log, "utf8") === "boot-50\nboot-60\n", 90_000);
    const [back] = await allRunning(vault, 1);
    expect(back!.agent).toBe(first!.agent);
    expect(w.run(["remove", vault]).code).toBe(0);
    await waitFor("the data to be deleted with the job", () => !existsSync(log), 60_000);
  }, 300_000);

  test("a volume over its size on its device is killed by the agent's disk watcher, and the pod says why", async () => {
    const id = submit("fill", `name: fill
deploy: {replica: 1, pools: [default]}
pod:
  workspace: {size: 64M}
  volumes: [{path: /galaxy-e2e-small, size: 1M}]
  tasks: [{name: fill, cpu: {millicores: 50}, memory: {size: 32M}, start: "head -c 5000000 /dev/zero > /galaxy-e2e-small/big; exec sleep 1000000"}]
`);
    const events = () => w.json(["events", id]) as { kind: string; message: string }[];
    await waitFor("the agent's warning", () => events().some((e) => e.kind === "agent" && e.message.includes("over its disk size: /galaxy-e2e-small uses")), 60_000);
    const killed = await waitFor("the kill", () => events().find((e) => e.kind === "failed" && e.message.includes("killed: /galaxy-e2e-small uses")), 90_000);
    expect(killed.message).toMatch(/killed: \/galaxy-e2e-small uses 4\.\dM of its 1M for longer than 30s/);
    expect(w.run(["remove", id]).code).toBe(0);
  }, 180_000);

  test("a task's io throttle is written to its blkio cgroup and holds a direct-io dd near the limit", async () => {
    const io = submit("io", `name: io
deploy: {replica: 1, pools: [default]}
pod:
  workspace: {size: 64M}
  volumes: [{path: /galaxy-e2e-io, size: 64M}]
  tasks:
    - name: main
      cpu: {millicores: 100}
      memory: {size: 32M}
      io: {write_bps: 1M}
      start: "dd if=/dev/zero of=/galaxy-e2e-io/f bs=256k count=12 oflag=direct 2> /galaxy-e2e-io/dd.txt; echo done >> /galaxy-e2e-io/dd.txt; exec sleep 1000000"
`);
    const [pod] = await allRunning(io, 1);
    const key = pod!.agent.replace(":", "_");
    const throttle = readFileSync(`${V1}/blkio/galaxy/${key}/${pod!.id}/blkio.throttle.write_bps_device`, "utf8");
    expect(throttle).toMatch(/^\d+:\d+ 1048576$/m);
    const out = await waitFor("dd to finish", () => {
      const f = findFiles(devices, "dd.txt")[0];
      const t = f ? readFileSync(f, "utf8") : "";
      return t.includes("done") ? t : null;
    }, 60_000);
    // "3145728 bytes (3.1 MB, 3.0 MiB) copied, 3.0 s, 1.0 MB/s": unthrottled this disk writes hundreds of MB/s
    const m = out.match(/(\d+) bytes .* copied, ([\d.]+) s/);
    expect(m).not.toBeNull();
    const rate = Number(m![1]) / Number(m![2]);
    expect(Number(m![1])).toBe(3 * 1024 * 1024);
    expect(rate).toBeLessThan(3 * 1024 * 1024); // within 3x of the 1M/s limit (a wide margin: it checks the limit applies)
    expect(w.run(["remove", io]).code).toBe(0);
  }, 180_000);
});
