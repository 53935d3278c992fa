// Which isolation this host offers. Three steps: parse /proc/self/mountinfo (pure), gather facts about the cgroup
// mounts (I/O: uid, access(2), cgroup.controllers), choose a kind from the facts (pure). GALAXY_ISOLATION forces a kind.
//
//   mountinfo ──parseMountInfo──► CgroupMount[] ──gatherFacts──► HostFacts ──chooseIsolation──► {kind, reason}
//                                                                                      └──createDriver──► CgroupDriver

import { accessSync, constants, readFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidError, UnavailableError } from "../../core/errors.ts";
import { type CgroupDriver, type IsolationKind, ISOLATION_KINDS } from "./driver.ts";
import { NoneDriver } from "./none.ts";
import { readIfExists } from "./proc.ts";
import { V1Driver, V1_CONTROLLERS, V1_REQUIRED } from "./v1.ts";
import { V2Driver } from "./v2.ts";

/** Every v1 subsystem name a kernel may list in a cgroup mount's super options. */
const V1_SUBSYSTEMS = new Set([
  "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "blkio", "perf_event", "net_prio", "hugetlb",
  "pids", "rdma", "misc",
]);
/** A unified hierarchy without these cannot enforce a container's resources. */
export const V2_REQUIRED = ["cpu", "memory"] as const;

export interface CgroupMount {
  mountPoint: string;
  /** the path inside the hierarchy that is mounted there ("/" unless a sub-tree is bind-mounted or namespaced) */
  root: string;
  version: 1 | 2;
  /** v1: the controllers of this hierarchy (name=… hierarchies have none); v2: [] */
  controllers: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The cgroup and cgroup2 mounts in /proc/self/mountinfo text (see proc(5)). */
export function parseMountInfo(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const [fsType, , superOpts = ""] = line.slice(sep + 3).split(" ");
    if (fsType !== "cgroup" && fsType !== "cgroup2") continue;
    const controllers = fsType === "cgroup" ? superOpts.split(",").filter((o) => V1_SUBSYSTEMS.has(o)) : [];
    out.push({ mountPoint: unescape(left[4] ?? ""), root: unescape(left[3] ?? "/"), version: fsType === "cgroup" ? 1 : 2, controllers });
  }
  return out;
}

/** controller -> mount point for the v1 controllers Galaxy uses (the first mount of each wins). */
export function v1Mounts(mounts: CgroupMount[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of mounts) {
    if (m.version !== 1) continue;
    for (const c of m.controllers) if (!out.has(c) && (V1_CONTROLLERS as readonly string[]).includes(c)) out.set(c, m.mountPoint);
  }
  return out;
}

export interface HostFacts {
  isRoot: boolean;
  /** the unified hierarchy, if any: its directory, the controllers it offers, whether we may write it */
  v2: { root: string; controllers: string[]; writable: boolean } | null;
  /** v1 controller -> whether its hierarchy is writable (absent = not mounted) */
  v1: Record<string, boolean>;
}

export interface IsolationChoice {
  kind: IsolationKind;
  reason: string;
}

function v2Problem(f: HostFacts): string | null {
  if (f.v2 === null) return "no cgroup2 mount";
  if (!f.v2.writable) return `cgroup2 at ${f.v2.root} is not writable`;
  const missing = V2_REQUIRED.filter((c) => !f.v2!.controllers.includes(c));
  return missing.length > 0 ? `cgroup2 at ${f.v2.root} lacks ${missing.join(", ")}` : null;
}

function v1Problem(f: HostFacts): string | null {
  const missing = V1_REQUIRED.filter((c) => f.v1[c] === undefined);
  if (missing.length > 0) return `cgroup v1 lacks ${missing.join(", ")}`;
  const readOnly = [...V1_REQUIRED, "pids"].filter((c) => f.v1[c] === false);
  return readOnly.length > 0 ? `cgroup v1 ${readOnly.join(", ")} not writable` : null;
}

/** Pure: forced kind > preferred kind (if usable) > cgroup-v2 > cgroup-v1 > none (with every reason why not). */
export function chooseIsolation(f: HostFacts, opts: { prefer?: IsolationKind; forced?: IsolationKind } = {}): IsolationChoice {
  if (opts.forced) return { kind: opts.forced, reason: "forced by GALAXY_ISOLATION" };
  if (opts.prefer === "none") return { kind: "none", reason: "preferred" };
  if (!f.isRoot) return { kind: "none", reason: "not root" };
  const problems: Record<"cgroup-v1" | "cgroup-v2", string | null> = { "cgroup-v2": v2Problem(f), "cgroup-v1": v1Problem(f) };
  const order: ("cgroup-v1" | "cgroup-v2")[] = opts.prefer === "cgroup-v1" ? ["cgroup-v1", "cgroup-v2"] : ["cgroup-v2", "cgroup-v1"];
  for (const k of order) if (problems[k] === null) return { kind: k, reason: "detected" };
  return { kind: "none", reason: `${problems["cgroup-v2"]}; ${problems["cgroup-v1"]}` };
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** I/O: what the host offers, from the parsed mounts (and an explicit unified root, if given). */
export function gatherFacts(mounts: CgroupMount[], v2Root?: string): HostFacts {
  const root = v2Root ?? mounts.find((m) => m.version === 2)?.mountPoint;
  const v2 =
    root === undefined
      ? null
      : {
          root,
          controllers: (readIfExists(join(root, "cgroup.controllers")) ?? "").split(/\s+/).filter((w) => w !== ""),
          writable: writable(root),
        };
  const v1: Record<string, boolean> = {};
  for (const [c, dir] of v1Mounts(mounts)) v1[c] = writable(dir);
  return { isRoot: process.getuid?.() === 0, v2, v1 };
}

export function readMounts(): CgroupMount[] {
  return parseMountInfo(readFileSync("/proc/self/mountinfo", "utf8"));
}

export interface DriverOptions {
  /** the unified hierarchy's directory (default: the first cgroup2 mount) */
  v2Root?: string;
  /** mounts to use instead of /proc/self/mountinfo */
  mounts?: CgroupMount[];
  /** for "none": why, shown by describe() */
  reason?: string;
}

/** Builds a driver of a given kind; throws UnavailableError if the host has no such hierarchy. */
export function createDriver(kind: IsolationKind, opts: DriverOptions = {}): CgroupDriver {
  if (kind === "none") return new NoneDriver({ reason: opts.reason });
  const mounts = opts.mounts ?? readMounts();
  if (kind === "cgroup-v2") {
    const root = opts.v2Root ?? mounts.find((m) => m.version === 2)?.mountPoint;
    if (root === undefined) throw new UnavailableError("cgroup-v2 isolation: no cgroup2 hierarchy is mounted");
    return new V2Driver({ root });
  }
  const v1 = v1Mounts(mounts);
  const missing = V1_REQUIRED.filter((c) => !v1.has(c));
  if (missing.length > 0) throw new UnavailableError(`cgroup-v1 isolation: no v1 hierarchy for ${missing.join(", ")}`);
  return new V1Driver({ mounts: v1 });
}

export function parseIsolationKind(value: string): IsolationKind {
  if (!(ISOLATION_KINDS as readonly string[]).includes(value)) {
    throw new InvalidError(`GALAXY_ISOLATION=${JSON.stringify(value)}: want one of ${ISOLATION_KINDS.join(", ")}`);
  }
  return value as IsolationKind;
}

/** The best driver this host offers (see chooseIsolation); GALAXY_ISOLATION=none|cgroup-v1|cgroup-v2 forces one. */
export function detectDriver(opts: { prefer?: IsolationKind; v2Root?: string; env?: Record<string, string | undefined> } = {}): CgroupDriver {
  const env = (opts.env ?? process.env).GALAXY_ISOLATION;
  const forced = env === undefined || env === "" ? undefined : parseIsolationKind(env);
  const mounts = readMounts();
  const choice = chooseIsolation(gatherFacts(mounts, opts.v2Root), { prefer: opts.prefer, forced });
  return createDriver(choice.kind, { v2Root: opts.v2Root, mounts, reason: choice.reason });
}
