// The peers of `galaxy bench host` (issue #22): the same two workloads put through containerd + runc (ctr) and Slurm
// when they are installed, so Galaxy's figures and theirs come from one run on one machine. Pure parts here (which
// peers to run, their idle overhead from two /proc snapshots, the side-by-side table); each peer drives its own
// system in peer-<name>.ts and cleans up everything it started, even on failure.
import { InvalidError } from "../core/errors.ts";
import { format, table } from "./report.ts";
import type { HostFigures } from "./host.ts";
import type { ProcSample } from "./host-procs.ts";

const MiB = 1024 * 1024;

export interface PeerOptions {
  services: number;
  batch: number;
  idleSeconds: number;
  log: (msg: string) => void;
}

export interface PeerPhase {
  pods: number;
  seconds: number;
  done: boolean;
  note: string;
}

export interface PeerIdle {
  containers: number;
  /** the peer's own per-container processes (containerd-shim-runc-v2, slurmstepd) beyond the task, bytes */
  pssPerContainer: number;
  taskPssPerContainer: number;
  /** charged to the container's own memory cgroup beyond its task, bytes; null when it has none */
  chargedPerPod: number | null;
  idleCpuPerContainerPct: number;
  /** the peer's daemons (containerd; slurmctld + slurmd + munged), bytes */
  pssPerHost: number;
  idleCpuPerHostPct: number;
  seconds: number;
}

export interface PeerFigures {
  services: PeerPhase | null;
  idle: PeerIdle | null;
  batch: PeerPhase | null;
}

export interface Peer {
  /** the --peers name */
  id: string;
  /** the column header */
  name: string;
  tool: string;
  install: string;
  run(o: PeerOptions): Promise<PeerFigures>;
}

/** What one peer did in this run: its figures, or one line on why not. */
export interface PeerResult {
  id: string;
  name: string;
  figures: PeerFigures | null;
  line: string;
}

/**
 * The peers a `--peers` value names ("containerd,slurm", "none", or undefined: those installed), in `known` order.
 * Throws on an unknown name. Each is marked installed or not.
 */
export function selectPeers<P extends { id: string; tool: string }>(flag: string | undefined, known: readonly P[], which: (tool: string) => string | null): { peer: P; installed: boolean }[] {
  const all = known.map((peer) => ({ peer, installed: which(peer.tool) !== null }));
  if (flag === undefined || flag === "") return all;
  const names = flag.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 1 && names[0] === "none") return [];
  for (const n of names) if (!known.some((p) => p.id === n)) throw new InvalidError(`--peers: unknown peer "${n}": the peers are ${known.map((p) => p.id).join(", ")} (or none)`);
  return all.filter((x) => names.includes(x.peer.id));
}

/** One line for a peer that did not run: how to install it, or why it failed. */
export function notInstalledLine(p: { name: string; install: string }): string {
  return `peer ${p.name}: not installed (${p.install}): skipped`;
}

export function failedLine(p: { name: string }, err: unknown): string {
  const msg = (err instanceof Error ? err.message : String(err)).split("\n")[0]!.trim();
  return `peer ${p.name}: failed: ${msg}`;
}

/** Runs each selected peer in turn; a peer that fails is one line and the next one runs. */
export async function runPeers(selected: readonly { peer: Peer; installed: boolean }[], o: PeerOptions): Promise<PeerResult[]> {
  const out: PeerResult[] = [];
  for (const { peer, installed } of selected) {
    if (!installed) {
      out.push({ id: peer.id, name: peer.name, figures: null, line: notInstalledLine(peer) });
      continue;
    }
    o.log(`peer ${peer.name}: running the same workloads`);
    try {
      out.push({ id: peer.id, name: peer.name, figures: await peer.run(o), line: `peer ${peer.name}: measured` });
    } catch (err) {
      out.push({ id: peer.id, name: peer.name, figures: null, line: failedLine(peer, err) });
    }
  }
  return out;
}

/** Which processes of a snapshot are what: the peer's per-container helper, the task, or one of its daemons. */
export interface PeerClasses {
  perContainer: (p: ProcSample) => boolean;
  task: (p: ProcSample) => boolean;
  hostPids: readonly number[];
}

/** The peer's idle overhead between two snapshots `seconds` apart: per container (its helpers) and per host (daemons). */
export function peerOverhead(before: readonly ProcSample[], after: readonly ProcSample[], c: PeerClasses, seconds: number, ticksPerSec = 100): Omit<PeerIdle, "chargedPerPod" | "seconds"> {
  const prev = new Map(before.map((p) => [`${p.pid}:${p.cmdline}`, p.ticks]));
  const dt = (p: ProcSample) => p.ticks - (prev.get(`${p.pid}:${p.cmdline}`) ?? p.ticks);
  const cpuPct = (ticks: number) => (ticks / ticksPerSec / seconds) * 100;
  let containers = 0, pssC = 0, ticksC = 0, pssT = 0, pssH = 0, ticksH = 0;
  for (const p of after) {
    if (c.hostPids.includes(p.pid)) (pssH += p.pss), (ticksH += dt(p));
    else if (c.perContainer(p)) (containers += 1), (pssC += p.pss), (ticksC += dt(p));
    else if (c.task(p)) pssT += p.pss;
  }
  const per = (v: number) => (containers ? v / containers : 0);
  return { containers, pssPerContainer: per(pssC), taskPssPerContainer: per(pssT), idleCpuPerContainerPct: per(cpuPct(ticksC)), pssPerHost: pssH, idleCpuPerHostPct: cpuPct(ticksH) };
}

const mib = (b: number) => `${(b / MiB).toFixed(2)} MiB`;
const secs = (p: { seconds: number; done: boolean } | null) => (p ? `${format(p.seconds)} s${p.done ? "" : " (not done)"}` : "-");

interface Row {
  name: string;
  galaxy: string;
  peers: string[];
}

/** Galaxy's figures and each measured peer's, a column per system. Empty when no peer was measured. */
export function peersTable(g: HostFigures, results: readonly PeerResult[]): string {
  const measured = results.filter((r) => r.figures);
  if (!measured.length) return "";
  const f = measured.map((r) => r.figures!);
  const idle = <T>(v: (i: PeerIdle) => T, show: (x: T) => string) => f.map((x) => (x.idle ? show(v(x.idle)) : "-"));
  const services = g.services?.pods ?? f.find((x) => x.services)?.services?.pods ?? 0;
  const batch = g.batch?.pods ?? f.find((x) => x.batch)?.batch?.pods ?? 0;
  const rows: Row[] = [
    { name: `${services} services submit -> all running`, galaxy: secs(g.services), peers: f.map((x) => secs(x.services)) },
    { name: "PSS per container beyond the task", galaxy: g.idle ? mib(g.idle.pssPerContainer) : "-", peers: idle((i) => i.pssPerContainer, mib) },
    { name: "charged to the container's cgroup beyond the task", galaxy: g.idle ? mib(g.idle.chargedPerPod) : "-", peers: idle((i) => i.chargedPerPod, (v) => (v === null ? "no cgroup" : mib(v))) },
    { name: "idle cpu per container (% of a core)", galaxy: g.idle ? `${g.idle.idleCpuPerContainerPct.toFixed(3)}%` : "-", peers: idle((i) => i.idleCpuPerContainerPct, (v) => `${v.toFixed(3)}%`) },
    { name: "per host: daemons' PSS", galaxy: g.idle ? mib(g.idle.pssPerHost) : "-", peers: idle((i) => i.pssPerHost, mib) },
    { name: `${batch} one-second batch tasks submit -> finished`, galaxy: secs(g.batch), peers: f.map((x) => secs(x.batch)) },
  ];
  return table(rows, [
    { header: "FIGURE", value: (r) => r.name },
    { header: "GALAXY", value: (r) => r.galaxy },
    ...measured.map((m, i) => ({ header: m.name.toUpperCase(), value: (r: Row) => r.peers[i]! })),
  ]);
}
