import { expect, test } from "bun:test";
import type { HostFigures } from "./host.ts";
import type { ProcSample } from "./host-procs.ts";
import { failedLine, peerOverhead, peersTable, runPeers, selectPeers, type Peer, type PeerFigures } from "./peers.ts";

const known = [
  { id: "containerd", tool: "ctr" },
  { id: "slurm", tool: "slurmctld" },
];

test("--peers: default is every peer, marked installed or not; a list picks; none is none; unknown is refused", () => {
  const which = (t: string) => (t === "slurmctld" ? "/usr/sbin/slurmctld" : null);
  expect(selectPeers(undefined, known, which).map((x) => [x.peer.id, x.installed])).toEqual([["containerd", false], ["slurm", true]]);
  expect(selectPeers("slurm", known, which).map((x) => x.peer.id)).toEqual(["slurm"]);
  expect(selectPeers("slurm, containerd", known, which).map((x) => x.peer.id)).toEqual(["containerd", "slurm"]);
  expect(selectPeers("none", known, which)).toEqual([]);
  expect(() => selectPeers("docker", known, which)).toThrow('--peers: unknown peer "docker": the peers are containerd, slurm (or none)');
});

const sample = (pid: number, cmdline: string, pss: number, ticks: number): ProcSample => ({ pid, ppid: 1, cmdline, container: "", pss, ticks });

test("peer overhead: per container from its helpers, tasks apart, daemons per host; cpu from the ticks between snapshots", () => {
  const before = [sample(10, "helper a", 0, 100), sample(11, "helper b", 0, 200), sample(12, "task", 0, 0), sample(1, "daemon", 0, 1000)];
  const after = [sample(10, "helper a", 2 << 20, 101), sample(11, "helper b", 4 << 20, 203), sample(12, "task", 1 << 20, 50), sample(1, "daemon", 8 << 20, 1010), sample(99, "other", 64 << 20, 0)];
  const o = peerOverhead(before, after, { perContainer: (p) => p.cmdline.startsWith("helper"), task: (p) => p.cmdline === "task", hostPids: [1] }, 10);
  expect(o).toEqual({ containers: 2, pssPerContainer: 3 << 20, taskPssPerContainer: 0.5 * (1 << 20), idleCpuPerContainerPct: 0.2, pssPerHost: 8 << 20, idleCpuPerHostPct: 1 });
});

const peer = (id: string, run: Peer["run"]): Peer => ({ id, name: id.toUpperCase(), tool: id, install: `apt-get install -y ${id}`, run });
const figures: PeerFigures = {
  services: { pods: 2, seconds: 1.5, done: true, note: "" },
  idle: { containers: 2, pssPerContainer: 1 << 20, taskPssPerContainer: 0, chargedPerPod: null, idleCpuPerContainerPct: 0.5, pssPerHost: 10 << 20, idleCpuPerHostPct: 0, seconds: 10 },
  batch: { pods: 3, seconds: 2.25, done: false, note: "" },
};

test("runPeers: one that is absent says how to install it, one that fails says why in one line, and the next still runs", async () => {
  const out = await runPeers([
    { peer: peer("a", async () => figures), installed: false },
    { peer: peer("b", async () => { throw new Error("slurmd would not start\nmore"); }), installed: true },
    { peer: peer("c", async () => figures), installed: true },
  ], { services: 2, batch: 3, idleSeconds: 1, log: () => {} });
  expect(out.map((r) => r.line)).toEqual(["peer A: not installed (apt-get install -y a): skipped", "peer B: failed: slurmd would not start", "peer C: measured"]);
  expect(out[2]!.figures).toBe(figures);
  expect(failedLine({ name: "X" }, "plain")).toBe("peer X: failed: plain");
});

test("peers table: a column per system, Galaxy first; a cgroup-less peer says so; nothing measured, no table", () => {
  const g: HostFigures = {
    agents: 1,
    services: { pods: 2, seconds: 3, done: true, agentsDead: 0, note: "" },
    idle: { containers: 2, pssPerContainer: 16 << 20, pssPerHost: 25 << 20, taskPssPerContainer: 0, idleCpuPerContainerPct: 0.39, idleCpuPerHostPct: 1, chargedPerPod: 0, seconds: 10 },
    batch: { pods: 3, seconds: 4, done: true, agentsDead: 0, note: "" },
  };
  const t = peersTable(g, [{ id: "slurm", name: "Slurm", figures, line: "" }, { id: "x", name: "X", figures: null, line: "" }]).split("\n");
  expect(t[0]).toMatch(/^FIGURE\s+GALAXY\s+SLURM$/);
  expect(t[1]).toMatch(/^2 services submit -> all running\s+3 s\s+1\.5 s$/);
  expect(t[2]).toMatch(/^PSS per container beyond the task\s+16\.00 MiB\s+1\.00 MiB$/);
  expect(t[3]).toMatch(/^charged to the container's cgroup beyond the task\s+0\.00 MiB\s+no cgroup$/);
  expect(t[4]).toMatch(/^idle cpu per container \(% of a core\)\s+0\.390%\s+0\.500%$/);
  expect(t[5]).toMatch(/^per host: daemons' PSS\s+25\.00 MiB\s+10\.00 MiB$/);
  expect(t[6]).toMatch(/^3 one-second batch tasks submit -> finished\s+4 s\s+2\.25 s \(not done\)$/);
  expect(peersTable(g, [{ id: "x", name: "X", figures: null, line: "" }])).toBe("");
});
