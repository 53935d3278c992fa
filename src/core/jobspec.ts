// The job file (jobspec.md): parse YAML or JSON text, validate it against the fixed schema, and normalise it into a
// JobSpec (sizes in bytes, durations in ms, every default filled in). Every problem of a file is reported at once,
// each with its path and line: "web.yaml:14 pod.tasks[0].memory.size: '256MB' is not a size; use 256M".
//
//   text --parseDocument--> YAML AST --lineMap--> path -> line
//                               |--toJS--> raw --validateJobSpec--> JobSpec | problems --> JobSpecError
//
// Defaults the design leaves open, chosen here: `type` defaults to service; `max_per_host` 0 means no limit;
// a port without `port` is dynamic; a volume's medium defaults to disk; a package's version defaults to "" and its
// dest to "." (the workspace itself); `data.reload` defaults to "" and `data.packages` to [].

import { checkFieldSizes, checkSpecText } from "./spec-limits.ts";
import { Document, isCollection, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type YAMLError } from "yaml";
import { InvalidError } from "./errors.ts";
import {
  checkPod, childPath, DEFAULTS, type DeploySpec, describe, JOB_TYPES, type JobSpec, type JobSpecProblem, MapReader,
  type IoSpec, NO_IO, type PackageSpec, type PodSpec, type PortSpec, ProblemList, readMap, type TaskSpec, type VolumeSpec,
} from "./jobspec-schema.ts";
import { formatDuration, formatSize, parseSize } from "./units.ts";

export * from "./jobspec-schema.ts";

const TOP_KEYS = ["name", "type", "deploy", "pod"];
const DEPLOY_KEYS = ["replica", "step", "interval", "max_per_host", "anti_affinity", "pools", "labels", "spread", "score", "profile", "update_break",
  "deploy_timeout", "stop_timeout", "restart"];
const TASK_KEYS = ["name", "cpu", "memory", "io", "ports", "package", "start", "stop", "health", "data", "services"];
const VOLUME_KEYS = ["path", "size", "medium", "exclusive", "readonly", "persistent", "sticky", "retention"];
const IO_KEYS = ["weight", "read_bps", "write_bps", "read_iops", "write_iops"];
const PACKAGE_KEYS = ["source", "version", "dest"];
const JOB_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** A job file with problems; `message` lists all of them, one per line. */
export class JobSpecError extends InvalidError {
  constructor(
    readonly file: string,
    readonly problems: JobSpecProblem[],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join("\n"), { file, problems: String(problems.length) });
  }
}

/** "web.yaml:14 pod.tasks[0].memory.size: '256MB' is not a size; use 256M" (file and line when known). */
export function formatProblem(file: string, p: JobSpecProblem): string {
  const where = file && p.line !== undefined ? `${file}:${p.line}` : file || (p.line !== undefined ? `line ${p.line}` : "");
  const what = p.path ? `${p.path}: ${p.message}` : p.message;
  return where ? `${where} ${what}` : what;
}

/** Parses and validates a job file (YAML, or JSON, which is YAML). Throws JobSpecError listing every problem. */
export function parseJobFile(text: string, filename = ""): JobSpec {
  checkSpecText(text, filename || "job"); // size and nesting, before the parser sees it
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const line = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    const message = (e: YAMLError) => (e.code === "MULTIPLE_DOCS" ? "a job file holds one YAML document; remove the extra ---" : e.message);
    throw new JobSpecError(filename, doc.errors.map((e) => ({ path: "", line: line(e.pos[0]), message: message(e) })));
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new JobSpecError(filename, [{ path: "", message: e instanceof Error ? e.message : String(e) }]);
  }
  checkFieldSizes(raw);
  const lines = lineMap(doc.contents, line);
  const { spec, problems } = validateJobSpec(raw, (path) => lines.get(path));
  if (!spec) throw new JobSpecError(filename, sortByLine(problems));
  return spec;
}

/** The line of every key and list entry of the document, by path ("pod.tasks[0].cpu"). */
function lineMap(root: unknown, line: (offset: number) => number): Map<string, number> {
  const lines = new Map<string, number>();
  const walk = (node: unknown, path: string) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const at = childPath(path, key);
        const range = isNode(pair.key) ? pair.key.range : isNode(pair.value) ? pair.value.range : undefined;
        if (range) lines.set(at, line(range[0]));
        walk(pair.value, at);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const at = childPath(path, i);
        if (isNode(item) && item.range) lines.set(at, line(item.range[0]));
        walk(item, at);
      });
    }
  };
  walk(root, "");
  return lines;
}

/** Problems without a line (about the whole file) first, then in file order; stable within a line. */
function sortByLine(problems: JobSpecProblem[]): JobSpecProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

/** Validates a parsed job file (snake_case keys of jobspec.md). `lines` maps a path to its line in the text. */
export function validateJobSpec(
  raw: unknown,
  lines?: (path: string) => number | undefined,
): { spec?: JobSpec; problems: JobSpecProblem[] } {
  const list = new ProblemList(lines);
  if (raw === undefined || raw === null) {
    list.report("", "the job file is empty");
    return { problems: list.problems };
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    list.report("", `expected a map with ${TOP_KEYS.join(", ")}, got ${describe(raw)}`);
    return { problems: list.problems };
  }
  const top = readMap(list, raw, "", TOP_KEYS);
  const spec: JobSpec = {
    name: readJobName(top),
    type: top.oneOf("type", JOB_TYPES, "job type", DEFAULTS.type),
    deploy: readDeploy(top.map("deploy", DEPLOY_KEYS)),
    pod: readPod(top.map("pod", ["workspace", "volumes", "tasks"])),
  };
  checkPod(list, spec.pod);
  return list.problems.length === 0 ? { spec, problems: [] } : { problems: list.problems };
}

function readJobName(top: MapReader): string {
  const name = top.str("name");
  if (!top.has("name") || typeof top.raw.name !== "string" || JOB_NAME.test(name)) return name;
  return top.fail("name", `'${name}' is not a job name; use 1 to 32 lowercase letters, digits and dashes, not starting with a dash`, name);
}

function readDeploy(r: MapReader): DeploySpec {
  const d: DeploySpec = {
    replica: r.int("replica", { min: 0, max: 100_000 }),
    step: r.int("step", { min: 1, def: DEFAULTS.step }),
    interval: r.duration("interval", { def: DEFAULTS.interval }),
    maxPerHost: r.int("max_per_host", { min: 0, def: DEFAULTS.maxPerHost }),
    antiAffinity: readAntiAffinity(r),
    pools: r.strings("pools", true),
    labels: r.strings("labels"),
    spread: r.bool("spread"),
    score: readScore(r),
    profile: readProfile(r),
    updateBreak: r.int("update_break", { min: 0, def: DEFAULTS.updateBreak }),
    deployTimeout: r.duration("deploy_timeout", { def: DEFAULTS.deployTimeout, min: 1 }),
    stopTimeout: r.duration("stop_timeout", { def: DEFAULTS.stopTimeout }),
    restart: { ...DEFAULTS.restart },
  };
  const restart = r.map("restart", ["attempts", "delay", "max_delay"]);
  const before = r.list.problems.length;
  d.restart = {
    attempts: restart.int("attempts", { min: 0, def: DEFAULTS.restart.attempts }),
    delay: restart.duration("delay", { def: DEFAULTS.restart.delay }),
    maxDelay: restart.duration("max_delay", { def: DEFAULTS.restart.maxDelay }),
  };
  if (r.list.problems.length === before && d.restart.maxDelay < d.restart.delay) {
    const { delay, maxDelay } = d.restart;
    restart.fail("max_delay", `${formatDuration(maxDelay)} is shorter than delay ${formatDuration(delay)}`, 0);
  }
  return d;
}

/** `score: binpack | spread | load`; with `spread: true` only spread (or nothing) makes sense. */
function readScore(r: MapReader): DeploySpec["score"] {
  if (!r.has("score")) return "";
  const score = r.oneOf("score", ["binpack", "spread", "load"] as const, "score", "binpack");
  if (r.raw.spread === true && score !== "spread") return r.fail("score", `${score} contradicts spread: true; remove one`, "");
  return score;
}

/** The most points a usage profile may have (one every 5 minutes of a day). */
export const MAX_PROFILE_POINTS = 288;

/**
 * `profile: {cpu: [0.2, 0.9, ...], memory: [...]}`: fractions (0..1] of the request at evenly spaced points of a day;
 * a curve left out is 1 everywhere (the request); both given must have as many points.
 */
function readProfile(r: MapReader): DeploySpec["profile"] {
  if (!r.has("profile")) return null;
  const m = r.map("profile", ["cpu", "memory"]);
  const curve = (key: "cpu" | "memory"): number[] | null => {
    if (!m.has(key)) return null;
    const v = m.raw[key];
    if (!Array.isArray(v) || v.length === 0 || v.length > MAX_PROFILE_POINTS) return m.fail(key, `wants a list of 1 to ${MAX_PROFILE_POINTS} fractions of the request, e.g. [0.3, 0.3, 1, 0.6]`, null);
    const bad = v.findIndex((x) => typeof x !== "number" || !Number.isFinite(x) || x <= 0 || x > 1);
    if (bad >= 0) return m.fail(key, `point ${bad + 1} (${JSON.stringify(v[bad])}) is not a fraction of the request in (0, 1]`, null);
    return v as number[];
  };
  const cpu = curve("cpu"), memory = curve("memory");
  if (!cpu && !memory) return m.broken || m.has("cpu") || m.has("memory") ? null : r.fail("profile", "needs cpu or memory (a list of fractions of the request)", null);
  if (cpu && memory && cpu.length !== memory.length) return m.fail("memory", `has ${memory.length} points and cpu ${cpu.length}; give both the same number`, null);
  const n = (cpu ?? memory)!.length;
  return { cpu: cpu ?? Array<number>(n).fill(1), memory: memory ?? Array<number>(n).fill(1) };
}

/** `anti_affinity: [{job: db, max_per_host: 0}]`: job names, each once; max_per_host defaults to 0 (never together). */
function readAntiAffinity(r: MapReader): DeploySpec["antiAffinity"] {
  const seen = new Set<string>();
  return r.items("anti_affinity").map((v, i) => {
    const m = readMap(r.list, v, childPath(r.at("anti_affinity"), i), ["job", "max_per_host"]);
    let job = m.str("job", { nonEmpty: true });
    if (job !== "" && !JOB_NAME.test(job)) job = m.fail("job", `'${job}' is not a job name; use 1 to 32 lowercase letters, digits and dashes, not starting with a dash`, job);
    else if (seen.has(job)) m.fail("job", `job '${job}' is named twice`, job);
    seen.add(job);
    return { job, maxPerHost: m.int("max_per_host", { min: 0, max: 100_000, def: 0 }) };
  });
}

function readPod(r: MapReader): PodSpec {
  const ws = r.map("workspace", ["size", "medium"]);
  const tasks = r.items("tasks", true);
  if (r.has("tasks") && Array.isArray(r.raw.tasks) && tasks.length === 0) r.fail("tasks", "needs at least one task", 0);
  return {
    workspace: {
      size: ws.size("size", DEFAULTS.workspace.size),
      medium: ws.oneOf("medium", ["disk", "ssd"] as const, "workspace medium", DEFAULTS.workspace.medium),
    },
    volumes: r.items("volumes").map((v, i) => readVolume(readMap(r.list, v, childPath(r.at("volumes"), i), VOLUME_KEYS))),
    tasks: tasks.map((v, i) => readTask(readMap(r.list, v, childPath(r.at("tasks"), i), TASK_KEYS))),
  };
}

function readVolume(r: MapReader): VolumeSpec {
  const v: VolumeSpec = {
    path: r.str("path", { nonEmpty: true }),
    size: r.size("size"),
    medium: r.oneOf("medium", ["disk", "ssd", "tmpfs"] as const, "volume medium", DEFAULTS.volumeMedium),
    exclusive: r.bool("exclusive"),
    readonly: r.bool("readonly"),
    persistent: r.bool("persistent"),
    sticky: r.bool("sticky"),
    retention: r.duration("retention", { def: 0 }),
  };
  const bad = v.path === "" ? undefined : checkVolumePath(v.path);
  if (bad) r.fail("path", bad, "");
  if (v.medium === "tmpfs" && v.exclusive) r.fail("exclusive", "a tmpfs volume cannot be exclusive", 0);
  if (v.medium === "tmpfs" && v.persistent) r.fail("persistent", "a tmpfs volume cannot be persistent (it lives in memory); use medium disk or ssd", 0);
  if (!v.persistent && v.sticky) r.fail("sticky", "only a persistent volume can be sticky; add persistent: true", 0);
  if (!v.persistent && r.has("retention")) r.fail("retention", "only a persistent volume has a retention; add persistent: true", 0);
  return v;
}

function checkVolumePath(path: string): string | undefined {
  const parts = path.split("/").filter((s) => s !== "" && s !== ".");
  const clean = "/" + parts.join("/");
  if (parts.includes("..")) return `'${path}' must not contain ..`;
  if (parts.length === 0) return `'${path}' is the root; use a directory like /data`;
  if (!path.startsWith("/")) return `'${path}' is not an absolute path; use ${clean}`;
  return path === clean ? undefined : `'${path}' is not a clean path; use ${clean}`;
}

function readTask(r: MapReader): TaskSpec {
  const cpu = r.map("cpu", ["millicores", "excess"]);
  const memory = r.map("memory", ["size", "excess"]);
  return {
    name: readTaskName(r),
    cpu: { millicores: cpu.int("millicores", { min: 1 }), excess: cpu.bool("excess") },
    memory: { size: memory.size("size"), excess: memory.bool("excess") },
    io: r.has("io") ? readIo(r.map("io", IO_KEYS)) : NO_IO,
    ports: r.items("ports").map((v, i) => readPort(readMap(r.list, v, childPath(r.at("ports"), i), ["name", "port"]))),
    ...(r.has("package") ? { package: readPackage(r.map("package", PACKAGE_KEYS)) } : {}),
    start: r.str("start", { nonEmpty: true }),
    stop: r.str("stop", { def: "" }),
    ...(r.has("health") ? { health: readHealth(r.map("health", ["port", "cmd"])) } : {}),
    ...(r.has("data") ? { data: readData(r.map("data", ["reload", "packages"])) } : {}),
    services: r.items("services").map((v, i) => {
      const s = readMap(r.list, v, childPath(r.at("services"), i), ["name", "port"]);
      return { name: s.str("name", { nonEmpty: true }), port: s.str("port", { nonEmpty: true }) };
    }),
  };
}

/** `io: {weight: 500, read_bps: 50M, write_bps: 20M, read_iops: 1000, write_iops: 500}`: every key optional. */
function readIo(r: MapReader): IoSpec {
  const rate = (key: string) => (r.has(key) ? r.size(key) : 0);
  const ops = (key: string) => r.int(key, { min: 1, def: 0 });
  return {
    weight: r.int("weight", { min: 100, max: 1000, def: 0 }),
    readBps: rate("read_bps"), writeBps: rate("write_bps"), readIops: ops("read_iops"), writeIops: ops("write_iops"),
  };
}

function readData(r: MapReader): { reload: string; packages: PackageSpec[] } {
  const packages = r.items("packages").map((v, i) => readPackage(readMap(r.list, v, childPath(r.at("packages"), i), PACKAGE_KEYS)));
  return { reload: r.str("reload", { def: "" }), packages };
}

function readTaskName(r: MapReader): string {
  const name = r.str("name", { nonEmpty: true });
  if (name === "" || /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) return name;
  return r.fail("name", `'${name}' is not a task name; use up to 64 letters, digits, '.', '_' and '-'`, name);
}

function readPort(r: MapReader): PortSpec {
  let name = r.str("name");
  if (name !== "" && !/^[a-z0-9][a-z0-9-_]*$/.test(name)) {
    name = r.fail("name", `'${name}' is not a port name; use lowercase letters, digits, '-' and '_'`, "");
  }
  const v = r.value("port");
  if (v === undefined || v === "dynamic") return { name, port: 0 };
  if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535) return { name, port: v };
  return { name, port: r.fail("port", `expected a port number 1..65535 or dynamic, got ${describe(v)}`, 0) };
}

function readPackage(r: MapReader): PackageSpec {
  const p: PackageSpec = { source: r.str("source"), version: r.str("version", { def: "" }), dest: r.str("dest", { def: DEFAULTS.packageDest }) };
  const bad = p.source === "" ? undefined : checkSource(p.source);
  if (bad) r.fail("source", bad, "");
  if (p.dest.startsWith("/") || p.dest.split("/").includes("..") || p.dest === "") {
    r.fail("dest", `'${p.dest}' is not a path inside the workspace; use a relative path like app`, "");
  }
  return p;
}

function checkSource(s: string): string | undefined {
  if (s.startsWith("/")) return `'${s}' is not a URL; use file://${s}`;
  if (s.startsWith("file://") && !s.startsWith("file:///")) return `'${s}' has no absolute path; use file:///path/to/package`;
  if (!/^(file|https?):\/\//.test(s)) return `'${s}' is not a package source; use a file://, http:// or https:// URL`;
  return URL.canParse(s) ? undefined : `'${s}' is not a valid URL`;
}

function readHealth(r: MapReader): { port?: string; cmd?: string } {
  const h: { port?: string; cmd?: string } = {};
  if (r.has("port")) h.port = r.str("port", { nonEmpty: true });
  if (r.has("cmd")) h.cmd = r.str("cmd", { nonEmpty: true });
  if (h.port !== undefined && h.cmd !== undefined) r.list.report(r.path, "give port or cmd, not both");
  else if (h.port === undefined && h.cmd === undefined && !r.broken) r.list.report(r.path, "needs port or cmd");
  return h;
}

/** A job file that parseJobFile reads back to an equal JobSpec (every field written out, optional ones when set). */
export function jobSpecToYaml(spec: JobSpec): string {
  const doc = new Document(toFile(spec));
  visit(doc, {
    // Small maps of scalars ({millicores: 100, excess: false}) and lists of scalars ([default]) on one line.
    Map: (_, node) => void (node.flow = node.items.every((p) => !isCollection(p.value))),
    Seq: (_, node) => void (node.flow = node.items.every((v) => !isCollection(v))),
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function toFile(spec: JobSpec): Record<string, unknown> {
  const { deploy: d, pod } = spec;
  const deploy: Record<string, unknown> = {
    replica: d.replica, step: d.step, interval: formatDuration(d.interval),
    ...(d.maxPerHost > 0 ? { max_per_host: d.maxPerHost } : {}),
    ...(d.antiAffinity.length > 0 ? { anti_affinity: d.antiAffinity.map((a) => ({ job: a.job, max_per_host: a.maxPerHost })) } : {}),
    pools: d.pools, labels: d.labels, spread: d.spread, ...(d.score ? { score: d.score } : {}),
    ...(d.profile ? { profile: { cpu: d.profile.cpu, memory: d.profile.memory } } : {}), update_break: d.updateBreak,
    deploy_timeout: formatDuration(d.deployTimeout), stop_timeout: formatDuration(d.stopTimeout),
    restart: { attempts: d.restart.attempts, delay: formatDuration(d.restart.delay), max_delay: formatDuration(d.restart.maxDelay) },
  };
  const volumes = pod.volumes.map(({ persistent, sticky, retention, ...v }) => ({
    ...v, size: sizeText(v.size),
    ...(persistent ? { persistent, sticky, ...(retention > 0 ? { retention: formatDuration(retention) } : {}) } : {}),
  }));
  const tasks = pod.tasks.map(taskToFile);
  return { name: spec.name, type: spec.type, deploy, pod: { workspace: { ...pod.workspace, size: sizeText(pod.workspace.size) }, volumes, tasks } };
}

function taskToFile(t: TaskSpec): Record<string, unknown> {
  return {
    name: t.name,
    cpu: t.cpu,
    memory: { size: sizeText(t.memory.size), excess: t.memory.excess },
    ...(sameIo(t.io, NO_IO) ? {} : { io: ioToFile(t.io) }),
    ports: t.ports.map((p) => ({ name: p.name, port: p.port === 0 ? "dynamic" : p.port })),
    ...(t.package ? { package: t.package } : {}),
    start: t.start,
    stop: t.stop,
    ...(t.health ? { health: t.health } : {}),
    ...(t.data ? { data: t.data } : {}),
    services: t.services,
  };
}

const sameIo = (a: IoSpec, b: IoSpec) => IO_FIELDS.every((k) => a[k] === b[k]);
const IO_FIELDS = ["weight", "readBps", "writeBps", "readIops", "writeIops"] as const;

function ioToFile(io: IoSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (io.weight) out.weight = io.weight;
  if (io.readBps) out.read_bps = sizeText(io.readBps);
  if (io.writeBps) out.write_bps = sizeText(io.writeBps);
  if (io.readIops) out.read_iops = io.readIops;
  if (io.writeIops) out.write_iops = io.writeIops;
  return out;
}

/** A pod's io (its tasks share one cgroup): the highest weight, and the throttles summed. */
export function podIo(spec: JobSpec): IoSpec {
  const io = { ...NO_IO };
  for (const t of spec.pod.tasks) {
    io.weight = Math.max(io.weight, t.io.weight);
    io.readBps += t.io.readBps;
    io.writeBps += t.io.writeBps;
    io.readIops += t.io.readIops;
    io.writeIops += t.io.writeIops;
  }
  return io;
}

/** "256M" when that is exact, else the number of bytes. */
function sizeText(bytes: number): string | number {
  const s = formatSize(bytes);
  return parseSize(s) === bytes ? s : bytes;
}

/** What one pod asks of an agent: cpu and memory of its tasks (tmpfs volumes count as memory), and storage per
 * medium (the workspace on its medium, plus the disk and ssd volumes). */
export function podResources(spec: JobSpec): { millicores: number; memory: number; disk: number; ssd: number } {
  const r = { millicores: 0, memory: 0, disk: 0, ssd: 0 };
  for (const t of spec.pod.tasks) {
    r.millicores += t.cpu.millicores;
    r.memory += t.memory.size;
  }
  r[spec.pod.workspace.medium] += spec.pod.workspace.size;
  for (const v of spec.pod.volumes) r[v.medium === "tmpfs" ? "memory" : v.medium] += v.size;
  return r;
}
