// Golden scheduler scripts (testdata/scheduler/*.txt): a cluster described line by line, then `place`, then the
// expected transcript. The runner replays a file and returns it with every transcript recomputed, so a test compares
// the two and UPDATE_GOLDEN=1 writes the recomputed file back (raft's datadriven tests).
//
//   agent NAME cpu=4 mem=8G [disk=100G] [ssd=0] [pool=P] [labels=a,b] [state=offline] [ports=20000-20099]
//         [max_batch=N] [devices=disk:/d1:500G,ssd:/s1:100G] [idle=CPU:MEM] [pressure] [target=0.5]
//   running AGENT CONTAINER type=T cpu=1 mem=1G [disk=..] [ssd=..] [ports=8080,8081] [devices=/d1]
//   group NAME n=3 [type=service] cpu=1 mem=1G [disk=..] [ssd=..] [max_per_host=N] [spread] [pools=a,b]
//         [labels=a,b] [blacklist=a,b] [ports=http:0,admin:8080] [volume=MEDIUM:PATH:SIZE[:exclusive]]…
//         [score=binpack|spread|load] [job=NAME] [anti=JOB:K,JOB:K]   (anti-affinity: where this group runs, at most K of JOB; NAME defaults to
//                                          the group's name; a `running` container belongs to the group of its prefix)
//   place [seed=N] [nopreempt]
//   ----
//   AGENT: CONTAINER[port=..]{path=device} … (evicts V, …)
//   pending CONTAINER…: 2 agents: no memory, 1: pool
//
// cpu is in cores ("0.5") or millicores ("500m"). `place` applies its result: placed containers run on their agents,
// evicted ones leave them and wait in their group again. A transcript ends at the first blank line.
import { parseSize } from "../core/units.ts";
import { jobTypeOf, type Resources, type VolumeRequest } from "../core/domain.ts";
import { formatReasons } from "./checks.ts";
import { AntiAffinityIndex, type RuleOwner } from "./anti-affinity.ts";
import { place } from "./place.ts";
import type { SchedAgent, SchedContainer, SchedGroup, ScheduleResult, ScoreKind } from "./types.ts";

type Args = Map<string, string>;

interface World {
  agents: Map<string, { base: SchedAgent; containers: SchedContainer[] }>;
  groups: Map<string, SchedGroup & { pending: string[] }>;
  /** Every group's job name and rules, also of groups only seen as `running` containers. */
  owners: Map<string, RuleOwner>;
}

/** Replays a script; returns its text with every transcript recomputed. */
export function rewriteScript(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  const w: World = { agents: new Map(), groups: new Map(), owners: new Map() };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(line);
    const [cmd, ...words] = line.trim().split(/\s+/);
    if (!cmd || cmd.startsWith("#")) continue;
    const args = parseArgs(words.slice(cmd === "place" ? 0 : 1));
    if (cmd === "agent") addAgent(w, words[0]!, args);
    else if (cmd === "running") addRunning(w, words[0]!, words[1]!, parseArgs(words.slice(2)));
    else if (cmd === "group") addGroup(w, words[0]!, args);
    else if (cmd === "place") {
      if (lines[i + 1] !== "----") throw new Error(`line ${i + 2}: expected ---- after place`);
      let j = i + 2;
      while (j < lines.length && lines[j] !== "") j++;
      out.push("----", ...runPlace(w, args));
      i = j - 1;
    } else throw new Error(`line ${i + 1}: unknown command ${cmd}`);
  }
  return out.join("\n");
}

function parseArgs(words: string[]): Args {
  const m = new Map<string, string>();
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq < 0) m.set(word, "true");
    else if (word.startsWith("volume=")) m.set(`volume${m.size}`, word.slice(eq + 1));
    else m.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return m;
}

const cpuOf = (s: string | undefined) => (!s ? 0 : s.endsWith("m") ? Number(s.slice(0, -1)) : Math.round(Number(s) * 1000));
const size = (s: string | undefined) => (s ? parseSize(s) : 0);
const list = (s: string | undefined) => (s ? s.split(",") : []);
const resOf = (a: Args): Resources => ({ millicores: cpuOf(a.get("cpu")), memory: size(a.get("mem")), disk: size(a.get("disk")), ssd: size(a.get("ssd")) });

function addAgent(w: World, name: string, a: Args): void {
  const [lo, hi] = (a.get("ports") ?? "20000-20099").split("-").map(Number);
  const devices = list(a.get("devices")).map((d) => {
    const [medium, path, sz] = d.split(":");
    return { medium: medium!, path: path!, size: size(sz) };
  });
  const [idleCpu, idleMem] = (a.get("idle") ?? "0:0").split(":");
  const base: SchedAgent = {
    endpoint: name, pool: a.get("pool") ?? "default", labels: list(a.get("labels")),
    state: (a.get("state") ?? "alive") as SchedAgent["state"], total: resOf(a),
    assigned: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, usedPorts: new Set(), portMin: lo!, portMax: hi!,
    groupCount: new Map(), batchCount: 0, maxBatch: Number(a.get("max_batch") ?? 0), devices, takenDevices: new Set(),
    idle: { millicores: cpuOf(idleCpu), memory: size(idleMem), disk: 0, ssd: 0 }, pressure: a.has("pressure"), containers: [],
    ...(a.has("target") ? { loadTarget: Number(a.get("target")) } : {}),
  };
  w.agents.set(name, { base, containers: [] });
}

function addRunning(w: World, agent: string, id: string, a: Args): void {
  const rec = w.agents.get(agent);
  if (!rec) throw new Error(`running: no agent ${agent}`);
  const groupId = id.slice(0, id.lastIndexOf("."));
  if (!w.owners.has(groupId)) w.owners.set(groupId, { id: groupId, user: "", name: groupId });
  rec.containers.push({
    id, groupId, jobType: jobTypeOf(a.get("type") ?? "service"), charged: resOf(a),
    ports: list(a.get("ports")).map(Number), devices: list(a.get("devices")),
  });
}

function addGroup(w: World, name: string, a: Args): void {
  const volumes: VolumeRequest[] = [...a.entries()].filter(([k]) => k.startsWith("volume")).map(([, v]) => {
    const [medium, path, sz, flag] = v.split(":");
    return { medium: medium!, path: path!, size: size(sz), exclusive: flag === "exclusive", readonly: false, persistent: false, sticky: false, retentionMs: 0 };
  });
  const resources = resOf(a);
  for (const v of volumes) resources[v.medium === "tmpfs" ? "memory" : (v.medium as "disk" | "ssd")] += v.size;
  w.groups.set(name, {
    id: name, jobType: jobTypeOf(a.get("type") ?? "service"), resources, volumes,
    ports: list(a.get("ports")).map((p) => ({ name: p.split(":")[0]!, port: Number(p.split(":")[1] ?? 0) })),
    pools: a.has("pools") ? list(a.get("pools")) : ["default"], labels: list(a.get("labels")),
    maxPerHost: Number(a.get("max_per_host") ?? 0), spread: a.has("spread"), blacklist: list(a.get("blacklist")),
    ...(a.has("score") ? { score: a.get("score") as ScoreKind } : {}),
    pending: Array.from({ length: Number(a.get("n") ?? 1) }, (_, i) => `${name}.${i}`),
  });
  const antiAffinity = list(a.get("anti")).map((r) => ({ job: r.split(":")[0]!, maxPerHost: Number(r.split(":")[1] ?? 0) }));
  w.owners.set(name, { id: name, user: "", name: a.get("job") ?? name, antiAffinity });
}

/** The agents as the scheduler sees them: assigned, ports, counts and devices summed from their containers. */
function schedAgents(w: World): SchedAgent[] {
  return [...w.agents.values()].map(({ base, containers }) => {
    const assigned = { millicores: 0, memory: 0, disk: 0, ssd: 0 };
    const groupCount = new Map<string, number>();
    let batchCount = 0;
    for (const c of containers) {
      for (const k of ["millicores", "memory", "disk", "ssd"] as const) assigned[k] += c.charged[k];
      groupCount.set(c.groupId, (groupCount.get(c.groupId) ?? 0) + 1);
      if (c.jobType === "batch" || c.jobType === "best-effort") batchCount++;
    }
    const usedPorts = new Set(containers.flatMap((c) => c.ports));
    const takenDevices = new Set(containers.flatMap((c) => c.devices));
    return { ...base, assigned, groupCount, batchCount, usedPorts, takenDevices, containers: [...containers] };
  });
}

function runPlace(w: World, a: Args): string[] {
  const index = new AntiAffinityIndex();
  for (const o of w.owners.values()) index.set(o);
  const groups = [...w.groups.values()].filter((g) => g.pending.length > 0).map((g) => ({ ...g, antiAffinity: index.rulesFor(w.owners.get(g.id)!) }));
  const r = place(schedAgents(w), groups, { seed: Number(a.get("seed") ?? 1), preempt: !a.has("nopreempt") });
  const lines = transcript(w, r);
  apply(w, r);
  return lines.length ? lines : ["(nothing to place)"];
}

function transcript(w: World, r: ScheduleResult): string[] {
  const lines: string[] = [];
  for (const name of [...w.agents.keys()].sort()) {
    const mine = r.placements.filter((p) => p.agent === name);
    if (mine.length === 0) continue;
    const shown = mine.map((p) => {
      const ports = p.ports.length ? `[${p.ports.map((x) => `${x.name}=${x.port}`).join(",")}]` : "";
      const devs = p.bindings.length ? `{${p.bindings.map((b) => `${b.path}=${b.hostPath}`).join(",")}}` : "";
      return p.containerId + ports + devs;
    });
    const victims = mine.flatMap((p) => p.victims);
    lines.push(`${name}: ${shown.join(" ")}${victims.length ? ` (evicts ${victims.join(", ")})` : ""}`);
  }
  for (const o of r.outcomes) if (o.unplaced.length) lines.push(`pending ${o.unplaced.join(" ")}: ${formatReasons(o.reasons) || "no agents"}`);
  return lines;
}

function apply(w: World, r: ScheduleResult): void {
  for (const e of r.evictions) {
    const rec = w.agents.get(e.agent)!;
    rec.containers = rec.containers.filter((c) => c.id !== e.containerId);
    w.groups.get(e.groupId)?.pending.push(e.containerId);
  }
  for (const p of r.placements) {
    const g = w.groups.get(p.groupId)!;
    g.pending.splice(g.pending.indexOf(p.containerId), 1);
    w.agents.get(p.agent)!.containers.push({
      id: p.containerId, groupId: p.groupId, jobType: g.jobType, charged: p.charged, ports: p.ports.map((x) => x.port),
      devices: p.bindings.map((b) => b.hostPath),
    });
  }
}
