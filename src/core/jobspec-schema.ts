// The job file's schema (jobspec.md), described once: every field with its type and checks, default, how it is
// written back, and a docs line. The types (JobSpec, DeploySpec, ...), the key lists ("expected one of ..."), the
// reader (validateJobSpec) and the writer (jobSpecToYaml) all come from this description (jobspec-fields.ts);
// rules across fields are the `check` of their map, rules across tasks are checkPod below.
//
//   JOB = obj({ name, type, deploy: map(DEPLOY), pod: map(POD) })      POD = obj({ workspace, volumes: list(VOLUME), tasks: list(TASK) })
//   TASK = obj({ name, cpu: map(CPU), memory, io: optMap(IO), ports: list(PORT), package: optMap(PACKAGE), ..., services })

import { JOB_TYPES, type JobType } from "./domain.ts";
import { portEnvName } from "./env.ts";
import {
  bool, custom, defaultsOf, duration, int, list, map, type MapSchema, obj, oneOf, opt, optMap, size, str, strings,
} from "./jobspec-fields.ts";
import { describe, type MapReader, type ProblemList, suggest } from "./jobspec-reader.ts";
import { profileField } from "./jobspec-profile.ts";
import { formatDuration } from "./units.ts";

export * from "./jobspec-reader.ts";
export { JOB_TYPES, type JobType };
export { MAX_PROFILE_POINTS } from "./jobspec-profile.ts";
export type Medium = "disk" | "ssd" | "tmpfs";
/** The value a map description reads into. */
export type Of<S> = S extends MapSchema<infer T> ? T : never;

/** How the scheduler ranks agents; "" = the scheduler's default (spread: true means spread). */
export type Score = "" | "binpack" | "spread" | "load";

const JOB_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const jobName = (v: string) => `'${v}' is not a job name; use 1 to 32 lowercase letters, digits and dashes, not starting with a dash`;

const PACKAGE = obj({
  source: str({ doc: "where the package comes from: a file://, http:// or https:// URL" }),
  version: str({ def: "", doc: "its version (a new version is an update)" }),
  dest: str({ def: ".", doc: "where it is unpacked, relative to the workspace" }),
}, (r, p) => {
  const bad = p.source === "" ? undefined : checkSource(p.source);
  if (bad) r.fail("source", bad, "");
  if (p.dest.startsWith("/") || p.dest.split("/").includes("..") || p.dest === "") {
    r.fail("dest", `'${p.dest}' is not a path inside the workspace; use a relative path like app`, "");
  }
});

const RESTART = obj({
  attempts: int({ min: 0, def: 10, doc: "restarts of a failed task before its pod is failed" }),
  delay: duration({ def: 1000, doc: "the first delay before a restart (doubled each time)" }),
  maxDelay: duration({ def: 60_000, doc: "the longest delay before a restart" }),
}, (r, d, clean) => {
  if (clean && d.maxDelay < d.delay) r.fail("max_delay", `${formatDuration(d.maxDelay)} is shorter than delay ${formatDuration(d.delay)}`, 0);
});

const ANTI_AFFINITY = obj({
  job: str({ nonEmpty: true, pattern: { re: JOB_NAME, message: jobName }, doc: "a job of the same user, by name" }),
  maxPerHost: int({ min: 0, max: 100_000, def: 0, doc: "at most this many of its pods beside this job's (0: never together)" }),
});

const DEPLOY = obj({
  replica: int({ min: 0, max: 100_000, doc: "how many pods" }),
  step: int({ min: 1, def: 1, doc: "pods updated at a time" }),
  interval: duration({ def: 0, doc: "the pause between two steps of an update" }),
  maxPerHost: int({ min: 0, def: 0, omit: (v) => v === 0, doc: "at most this many pods of the job on one agent (0: no limit)" }),
  antiAffinity: list(ANTI_AFFINITY, { check: uniqueJobs, omit: (v) => v.length === 0, doc: "jobs this job's pods keep away from" }),
  pools: strings({ required: true, doc: "the pools the pods may run in" }),
  labels: strings({ doc: "labels an agent must have" }),
  spread: bool({ doc: "prefer emptier agents (the same as score: spread)" }),
  score: custom<Score>({ read: readScore, write: (v) => v, omit: (v) => v === "", doc: "how agents are ranked: binpack, spread, load" }),
  profile: profileField,
  updateBreak: int({ min: 0, def: 0, doc: "failed pods that stop an update" }),
  deployTimeout: duration({ def: 5 * 60_000, min: 1, doc: "how long a step may take" }),
  stopTimeout: duration({ def: 30_000, doc: "how long a task has between SIGTERM and SIGKILL" }),
  restart: map(RESTART, { doc: "how failed tasks are restarted" }),
});

const VOLUME = obj({
  path: str({ nonEmpty: true, doc: "where the volume is mounted in the container" }),
  size: size({ doc: "its size" }),
  medium: oneOf(["disk", "ssd", "tmpfs"] as const, "volume medium", { def: "disk", doc: "disk, ssd or tmpfs (memory)" }),
  exclusive: bool({ doc: "a device of its own" }),
  readonly: bool({ doc: "mounted read-only" }),
  /** Its data outlives the container (recreation, updates, agent restarts); removed with the job, after `retention`. */
  persistent: bool({ omit: (v) => !v, doc: "its data outlives the container" }),
  /** Persistent: the container may only go to the agent and device holding its data. */
  sticky: bool({ omit: (_, p: { persistent: boolean }) => !p.persistent, doc: "with persistent: the pod may only go where its data is" }),
  /** Persistent: how long (ms) the data stays after the job is removed (0: removed with it). */
  retention: duration({ def: 0, omit: (v, p: { persistent: boolean }) => !p.persistent || v === 0, doc: "with persistent: how long the data stays after the job is removed" }),
}, (r, v) => {
  const bad = v.path === "" ? undefined : checkVolumePath(v.path);
  if (bad) r.fail("path", bad, "");
  if (v.medium === "tmpfs" && v.exclusive) r.fail("exclusive", "a tmpfs volume cannot be exclusive", 0);
  if (v.medium === "tmpfs" && v.persistent) r.fail("persistent", "a tmpfs volume cannot be persistent (it lives in memory); use medium disk or ssd", 0);
  if (!v.persistent && v.sticky) r.fail("sticky", "only a persistent volume can be sticky; add persistent: true", 0);
  if (!v.persistent && r.has("retention")) r.fail("retention", "only a persistent volume has a retention; add persistent: true", 0);
});

/** Block io of a task (0: no limit): io weight 100..1000, and throttles in bytes and operations per second. */
const IO = obj({
  weight: int({ min: 100, max: 1000, def: 0, omit: (v) => v === 0, doc: "io weight 100..1000" }),
  readBps: size({ def: 0, omit: (v) => v === 0, doc: "read bytes per second" }),
  writeBps: size({ def: 0, omit: (v) => v === 0, doc: "written bytes per second" }),
  readIops: int({ min: 1, def: 0, omit: (v) => v === 0, doc: "read operations per second" }),
  writeIops: int({ min: 1, def: 0, omit: (v) => v === 0, doc: "write operations per second" }),
});
export type IoSpec = Of<typeof IO>;
export const NO_IO: IoSpec = defaultsOf(IO);
const sameIo = (a: IoSpec, b: IoSpec) => (Object.keys(b) as (keyof IoSpec)[]).every((k) => a[k] === b[k]);

const PORT = obj({
  name: str({ def: "", pattern: { re: /^[a-z0-9][a-z0-9-_]*$/, badValue: "", message: (v) => `'${v}' is not a port name; use lowercase letters, digits, '-' and '_'` }, doc: "its name (GALAXY_PORT_<NAME>)" }),
  port: custom({ read: readPort, write: (v) => (v === 0 ? "dynamic" : v), doc: "a port number, or dynamic (0 in the spec)" }),
});

const HEALTH = obj({
  port: opt(str({ nonEmpty: true, doc: "a port of the pod that must accept connections" })),
  cmd: opt(str({ nonEmpty: true, doc: "a command that must succeed" })),
}, (r, h) => {
  if (h.port !== undefined && h.cmd !== undefined) r.list.report(r.path, "give port or cmd, not both");
  else if (h.port === undefined && h.cmd === undefined && !r.broken) r.list.report(r.path, "needs port or cmd");
});

const TASK = obj({
  name: str({ nonEmpty: true, pattern: { re: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, message: (v) => `'${v}' is not a task name; use up to 64 letters, digits, '.', '_' and '-'` }, doc: "the task's name, unique in the pod" }),
  cpu: map(obj({
    millicores: int({ min: 1, doc: "cpu in thousandths of a core" }),
    excess: bool({ doc: "may use idle cpu beyond its request" }),
  }), { doc: "its cpu" }),
  memory: map(obj({ size: size({ doc: "its memory" }), excess: bool({ doc: "may use free memory beyond its request" }) }), { doc: "its memory" }),
  /** Block io limits (`io:`); NO_IO when the task sets none. */
  io: optMap(IO, { absent: NO_IO, omit: (v) => sameIo(v, NO_IO), doc: "block io limits" }),
  ports: list(PORT, { doc: "the ports it listens on" }),
  package: optMap(PACKAGE, { doc: "the package unpacked into the workspace" }),
  start: str({ nonEmpty: true, doc: "the command that starts it" }),
  stop: str({ def: "", doc: "the command that stops it (else SIGTERM)" }),
  health: optMap(HEALTH, { doc: "how it is checked: port or cmd" }),
  data: optMap(obj({
    reload: str({ def: "", doc: "the command run after the data packages changed" }),
    packages: list(PACKAGE, { doc: "data packages, updated without a restart" }),
  }), { doc: "data packages and how the task reloads them" }),
  services: list(obj({
    name: str({ nonEmpty: true, doc: "the service's name" }),
    port: str({ nonEmpty: true, doc: "the port of the pod it is reached at" }),
  }), { doc: "services it offers" }),
});

const POD = obj({
  workspace: map(obj({
    size: size({ def: 1024 ** 3, doc: "the workspace's size" }),
    medium: oneOf(["disk", "ssd"] as const, "workspace medium", { def: "disk", doc: "disk or ssd" }),
  }), { doc: "the pod's working directory" }),
  volumes: list(VOLUME, { doc: "volumes mounted in its containers" }),
  tasks: list(TASK, { nonEmpty: "needs at least one task", doc: "its tasks" }),
});

/** The job file. */
export const JOB = obj({
  name: str({ pattern: { re: JOB_NAME, message: jobName }, doc: "the job's name" }),
  type: oneOf(JOB_TYPES, "job type", { def: "service", doc: "monitor, service, batch or best-effort" }),
  deploy: map(DEPLOY, { doc: "how many pods, where and how they are updated" }),
  pod: map(POD, { doc: "what a pod is made of" }),
});

/** A validated job: sizes in bytes, durations in ms, every default filled in. */
export type JobSpec = Of<typeof JOB>;
export type DeploySpec = Of<typeof DEPLOY>;
export type PodSpec = Of<typeof POD>;
export type TaskSpec = Of<typeof TASK>;
export type VolumeSpec = Of<typeof VOLUME>;
export type PortSpec = Of<typeof PORT>;
export type PackageSpec = Of<typeof PACKAGE>;

/** `score: binpack | spread | load`; with `spread: true` only spread (or nothing) makes sense. */
function readScore(r: MapReader, key: string): Score {
  if (!r.has(key)) return "";
  const score = r.oneOf(key, ["binpack", "spread", "load"] as const, "score", "binpack");
  if (r.raw.spread === true && score !== "spread") return r.fail(key, `${score} contradicts spread: true; remove one`, "");
  return score;
}

/** Each job named once in anti_affinity (names already reported as bad are not compared). */
function uniqueJobs(r: MapReader, key: string, rules: { job: string }[]): void {
  const seen = new Set<string>();
  rules.forEach((a, i) => {
    if (a.job !== "" && !JOB_NAME.test(a.job)) return;
    if (seen.has(a.job)) r.list.report(`${r.at(key)}[${i}].job`, `job '${a.job}' is named twice`);
    seen.add(a.job);
  });
}

function readPort(r: MapReader, key: string): number {
  const v = r.value(key);
  if (v === undefined || v === "dynamic") return 0;
  if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535) return v;
  return r.fail(key, `expected a port number 1..65535 or dynamic, got ${describe(v)}`, 0);
}

function checkVolumePath(path: string): string | undefined {
  const parts = path.split("/").filter((s) => s !== "" && s !== ".");
  const clean = "/" + parts.join("/");
  if (parts.includes("..")) return `'${path}' must not contain ..`;
  if (parts.length === 0) return `'${path}' is the root; use a directory like /data`;
  if (!path.startsWith("/")) return `'${path}' is not an absolute path; use ${clean}`;
  return path === clean ? undefined : `'${path}' is not a clean path; use ${clean}`;
}

function checkSource(s: string): string | undefined {
  if (s.startsWith("/")) return `'${s}' is not a URL; use file://${s}`;
  if (s.startsWith("file://") && !s.startsWith("file:///")) return `'${s}' has no absolute path; use file:///path/to/package`;
  if (!/^(file|https?):\/\//.test(s)) return `'${s}' is not a package source; use a file://, http:// or https:// URL`;
  return URL.canParse(s) ? undefined : `'${s}' is not a valid URL`;
}


/** Rules that span tasks: unique task, port, service names and volume paths; fixed ports used once; health and
 * service ports name a port declared in the pod. Entries already reported as bad (empty names) are skipped. */
export function checkPod(list: ProblemList, pod: PodSpec): void {
  const at = (i: number, rest: string) => `pod.tasks[${i}]${rest}`;
  unique(list, pod.tasks.map((t, i) => [t.name, at(i, ".name")]), (n) => `task '${n}' is declared twice`);
  unique(list, pod.volumes.map((v, i) => [v.path, `pod.volumes[${i}].path`]), (p) => `volume '${p}' is declared twice`);
  const ports = pod.tasks.flatMap((t, i) => t.ports.map((p, j) => ({ ...p, path: at(i, `.ports[${j}]`) })));
  unique(list, ports.map((p) => [p.name, `${p.path}.name`]), (n) => `port '${n}' is declared twice in the pod`);
  const fixed = ports.filter((p) => p.port > 0);
  unique(list, fixed.map((p) => [String(p.port), `${p.path}.port`]), (n) => `port ${n} is used twice in the pod`);
  const envs = new Map<string, string>();
  for (const p of ports) {
    const env = portEnvName(p.name);
    const other = envs.get(env);
    if (p.name !== "" && other !== undefined && other !== p.name) list.report(`${p.path}.name`, `'${p.name}' and '${other}' both set ${env}`);
    else if (p.name !== "") envs.set(env, p.name);
  }
  const names = [...new Set(ports.map((p) => p.name).filter((n) => n !== ""))];
  pod.tasks.forEach((t, i) => {
    if (t.health?.port) checkPortRef(list, at(i, ".health.port"), t.health.port, names);
    t.services.forEach((s, j) => checkPortRef(list, at(i, `.services[${j}].port`), s.port, names));
  });
  const services = pod.tasks.flatMap((t, i) => t.services.map((s, j) => [s.name, at(i, `.services[${j}].name`)] as [string, string]));
  unique(list, services, (n) => `service '${n}' is declared twice in the pod`);
}

function checkPortRef(list: ProblemList, path: string, name: string, declared: string[]): void {
  if (name === "" || declared.includes(name)) return;
  const near = suggest(name, declared);
  const hint = near ? `; did you mean ${near}?` : declared.length ? `; declared: ${declared.join(", ")}` : "; the pod declares no ports";
  list.report(path, `no port named '${name}'${hint}`);
}

/** Reports every entry whose value was seen before (empty values are skipped). */
function unique(list: ProblemList, entries: [string, string][], message: (v: string) => string): void {
  const seen = new Set<string>();
  for (const [value, path] of entries) {
    if (value !== "" && seen.has(value)) list.report(path, message(value));
    seen.add(value);
  }
}
