// How a container's processes start, pure: the shell commands that join the cgroup, enter the namespaces and set up
// the mounts, then run the worker. No instruction of the worker ever runs outside its cgroup.
//
//   without namespaces: /bin/sh galaxy-container joins every cgroup procs file ($GALAXY_CGROUP_PROCS), then the
//     wrapper (below) runs the worker.
//   with namespaces, two launches:
//   1. the init, once per container (initCommand):
//      /bin/sh galaxy-container: joins the cgroup
//        └─exec─► unshare --mount [--uts] [--pid --fork --mount-proc --kill-child]   (with a pid ns unshare stays outside)
//                   └─► /bin/sh galaxy-init: bind the volumes, detach other containers' mounts, hide the agent's state,
//                         the other workspaces and the cluster secret, move the workspace back in, cd into it, write
//                         INIT_READY_FILE, then hold the namespaces until the container is destroyed (pid 1 of a pid
//                         namespace: it reaps the orphans, e.g. the tasks of a worker that died)
//   2. the worker, at create and at every restart (enterCommand):
//      /bin/sh galaxy-container: joins the cgroup ─exec─► nsenter -t <init> -m [-u] [-p] ─► /bin/sh galaxy-worker:
//        cd into the workspace, then the wrapper. A restarted worker shares its tasks' namespaces, so it re-adopts them.
//   the wrapper: runs the worker as its child, forwards SIGTERM/SIGINT, records the worker's exit status in
//   .galaxy/worker.exit (read by an agent that re-adopted the container), exits with it.
// The scripts travel in the environment (GALAXY_LAUNCH, GALAXY_INIT, GALAXY_ENTER) so that `ps` stays readable.
import { EXIT_CANNOT_JOIN_CGROUP, EXIT_SETUP_FAILED, type Namespace } from "./core.ts";
import { InvalidError } from "../core/errors.ts";

export type { Namespace } from "./core.ts";
export const NAMESPACES: readonly Namespace[] = ["mount", "uts", "pid"];

/** "mount,uts,pid" | "none" | "" (none). The mount namespace is needed by the others' setup, so it is implied. */
export function parseNamespaces(text: string): Namespace[] {
  const words = text.split(",").map((w) => w.trim()).filter((w) => w !== "" && w !== "none");
  for (const w of words) {
    if (!(NAMESPACES as readonly string[]).includes(w)) throw new InvalidError(`namespace ${JSON.stringify(w)}: want some of ${NAMESPACES.join(", ")}, or none`);
  }
  if (words.length === 0) return [];
  return NAMESPACES.filter((n) => n === "mount" || words.includes(n));
}

/**
 * Namespaces a container gets when the operator does not say: all of them. The container's init holds them for its
 * whole life, and a worker the agent restarts enters them (nsenter), so it sees, and re-adopts, its running tasks.
 */
export const DEFAULT_NAMESPACES: readonly Namespace[] = ["mount", "uts", "pid"];

export interface NamespaceHost {
  root: boolean;
  isolation: string;
  hasUnshare: boolean;
  hasNsenter: boolean;
}

/** Which namespaces containers get here: none without root, without a cgroup driver, or without unshare(1)/nsenter(1). */
export function resolveNamespaces(requested: readonly Namespace[] | "auto", host: NamespaceHost): { namespaces: Namespace[]; note: string } {
  const want = requested === "auto" ? [...DEFAULT_NAMESPACES] : [...requested];
  if (want.length === 0) return { namespaces: [], note: "no namespaces (as asked)" };
  const why = !host.root
    ? "not root"
    : host.isolation === "none"
      ? "isolation none"
      : !host.hasUnshare
        ? "no unshare(1) on PATH"
        : !host.hasNsenter
          ? "no nsenter(1) on PATH"
          : "";
  if (why) return { namespaces: [], note: `no namespaces (${why})` };
  return { namespaces: want, note: `namespaces ${want.join(", ")}` };
}

export interface TaskIsolationHost {
  root: boolean;
  hasSetpriv: boolean;
  namespaces: readonly Namespace[];
}

/**
 * What AgentInfo.isolation says (`galaxy agent show`, `galaxy agents --json`): the driver, then whatever of the tasks'
 * isolation this host cannot give ("cgroup-v1" alone: tasks run unprivileged in their namespaces).
 */
export function isolationOf(driverKind: string, h: TaskIsolationHost): string {
  const notes: string[] = [];
  if (!h.root) notes.push("tasks run as the agent's user (not root)");
  else if (!h.hasSetpriv) notes.push("tasks run as root (no setpriv(1) on PATH)");
  if (!h.namespaces.includes("mount")) notes.push("no mount namespace: Galaxy's files are guarded by permissions only");
  if (!h.namespaces.includes("pid")) notes.push("no pid namespace: tasks see the host's processes");
  return [driverKind, ...notes].join("; ");
}

export interface Bind {
  source: string;
  target: string;
  readonly: boolean;
}

export interface MountPlan {
  workspace: string;
  /** an empty directory on the host, under `cover`: a tmpfs there holds the skeleton that then covers `cover` */
  stage: string;
  binds: Bind[];
  /** the highest directory on the workspace's path that is Galaxy's (the data dir, the cluster dir) or that others
   * cannot traverse: covered by a tmpfs holding only the path to the workspace (and `keep`), so the task (another uid)
   * reaches its workspace and nothing else of Galaxy's */
  cover: string;
  /** files under `cover` the worker needs (its executable), bound back read-only */
  keep: string[];
  /** directories outside `cover` covered by an empty tmpfs (the cluster dir, volume devices) */
  hide: string[];
  /** host mounts copied into the new namespace under hidden directories (other containers' tmpfs volumes):
   * detached so that they are freed when their owner unmounts them on the host */
  detach: string[];
}

export const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** Where the wrapper records the worker's exit status, relative to the workspace (read after a re-adoption). */
export const WORKER_EXIT_FILE = ".galaxy/worker.exit";

/** Where galaxy-init notes that the mounts are made and the namespaces ready to enter (relative to the workspace). */
export const INIT_READY_FILE = ".galaxy/init.ready";

/**
 * The worker's parent for its whole life, in every mode: forwards SIGTERM and SIGINT to it, reaps orphans, records its
 * exit status in WORKER_EXIT_FILE, and exits with it.
 */
const WRAP = [
  `unset GALAXY_LAUNCH GALAXY_INIT GALAXY_ENTER`,
  `: > ${WORKER_EXIT_FILE}`, // emptied with a builtin: an earlier worker's status must not be read as this one's
  // The traps are set before the worker exists; a signal that comes first is passed on once it does.
  `w= p=`,
  `trap 't=1; if [ -n "$w" ]; then kill -TERM $w 2>/dev/null; else p=TERM; fi' TERM`,
  `trap 't=1; if [ -n "$w" ]; then kill -INT $w 2>/dev/null; else p=INT; fi' INT`,
  `"$@" &`,
  `w=$!`,
  `if [ -n "$p" ]; then kill -$p $w 2>/dev/null; fi`,
  // `wait` also reaps orphans; a trapped signal interrupts it, so then wait again (for the worker's own status).
  `while :; do t=0; wait $w; s=$?; [ $t = 1 ] || break; done`,
  `echo $s > ${WORKER_EXIT_FILE}`,
  `exit $s`,
];

/**
 * galaxy-init once its mounts are made: says so, then holds the namespaces until the container's cgroup is killed.
 * `wait` reaps every child (dash and bash wait for any pid), so as pid 1 it reaps the orphans of the namespace; as
 * pid 1 it also ignores signals it has no trap for (the kernel's rule), so only SIGKILL ends it.
 */
const HOLD = [
  `unset GALAXY_LAUNCH GALAXY_INIT`,
  `exec </dev/null`,
  `: > ${INIT_READY_FILE}`,
  `while :; do sleep 2147483647 & wait; done`,
];

/** `path` relative to `dir` (an ancestor of it, or itself: "."). */
const under = (dir: string, path: string): string => (path === dir ? "." : path.slice(dir.length + 1));

/** The script of galaxy-init in the new namespaces: the mounts, then it holds them. */
export function initScript(m: MountPlan): string {
  const skel = (path: string) => q(`${m.stage}/${under(m.cover, path)}`);
  const lines = [
    `fail() { echo "galaxy-init: $*" >&2; exit ${EXIT_SETUP_FAILED}; }`,
    `umask 022`,
    `mount -t tmpfs -o size=64k,mode=755 galaxy-hidden ${q(m.stage)} || fail "cannot make the skeleton"`,
    `mkdir -p ${skel(m.workspace)} && mount --rbind ${q(m.workspace)} ${skel(m.workspace)} || fail "cannot stage the workspace"`,
  ];
  for (const b of m.binds) {
    lines.push(`mount --bind ${q(b.source)} ${q(b.target)} || fail ${q(`cannot bind ${b.source} at ${b.target}`)}`);
    if (b.readonly) lines.push(`mount -o remount,bind,ro ${q(b.target)} || fail ${q(`cannot make ${b.target} read-only`)}`);
  }
  for (const k of m.keep) {
    const at = skel(k);
    lines.push(`mkdir -p "$(dirname ${at})" && : > ${at} && mount --bind ${q(k)} ${at} && mount -o remount,bind,ro ${at} || fail ${q(`cannot keep ${k}`)}`);
  }
  for (const d of m.detach) lines.push(`umount -l ${q(d)} 2>/dev/null`);
  for (const d of m.hide) lines.push(`mount -t tmpfs -o size=64k,mode=755 galaxy-hidden ${q(d)} || fail ${q(`cannot hide ${d}`)}`);
  lines.push(
    `mount --rbind ${q(m.stage)} ${q(m.cover)} || fail ${q(`cannot hide ${m.cover}`)}`,
    `cd ${q(m.workspace)} || fail "cannot enter the workspace"`,
  );
  return [...lines, ...HOLD].join("\n");
}

/**
 * The directory a container's namespace covers (see MountPlan.cover): of the workspace's ancestors that are Galaxy's
 * (`galaxy`: the data dir, the cluster dir) or that others cannot traverse, the highest. Pure: `traversable` says
 * whether a directory lets others through (o+x).
 */
export function coverOf(workspace: string, galaxy: readonly string[], traversable: (dir: string) => boolean): string {
  const ancestors: string[] = [];
  for (let d = workspace.slice(0, workspace.lastIndexOf("/")); d.length > 0; d = d.slice(0, d.lastIndexOf("/"))) ancestors.unshift(d);
  const top = ancestors.find((d) => galaxy.includes(d) || !traversable(d));
  if (!top) throw new InvalidError(`workspace ${workspace} is not under the data dir`);
  return top;
}

const JOIN = `for f in $GALAXY_CGROUP_PROCS; do echo $$ > "$f" || exit ${EXIT_CANNOT_JOIN_CGROUP}; done`;

/** The fd through which a worker in a pid namespace can still read the host's /proc (to report host pids). */
export const HOST_PROC_FD = 9;
/** The fd through which a worker reads the cluster dir (leader files) that its namespace hides. */
export const CLUSTER_DIR_FD = 8;
/** The fd through which a worker reads the host's root directory (file:// packages its namespace hides). */
export const HOST_ROOT_FD = 7;

export interface Launch {
  argv: string[];
  /** the scripts, passed in the environment so that `ps` shows a short command line (unset before the worker runs) */
  env: Record<string, string>;
}

const evalOf = (v: string) => ["/bin/sh", "-c", `eval "$${v}"`];

/** A container without namespaces (spawned in its workspace): join the cgroup, run `worker` under the wrapper. */
export function plainCommand(worker: readonly string[]): Launch {
  return { argv: [...evalOf("GALAXY_LAUNCH"), "galaxy-container", ...worker], env: { GALAXY_LAUNCH: [JOIN, ...WRAP].join("\n") } };
}

/** The flags of unshare(1) that make a container's namespaces (mount always: the others' setup needs it). */
export function unshareFlags(namespaces: readonly Namespace[]): string[] {
  const pid = namespaces.includes("pid") ? ["--pid", "--fork", "--mount-proc", "--kill-child"] : [];
  return ["--mount", ...(namespaces.includes("uts") ? ["--uts"] : []), ...pid];
}

/**
 * A namespaced container's init (spawned in its workspace): join the cgroup, make the namespaces and the mounts, note
 * INIT_READY_FILE, hold. With a pid namespace unshare stays outside as the init's parent (--kill-child: it takes the
 * init, hence the whole namespace, with it); without, unshare execs the init.
 */
export function initCommand(namespaces: readonly Namespace[], plan: MountPlan): Launch {
  const enter = `exec unshare ${unshareFlags(namespaces).join(" ")} /bin/sh -c 'eval "$GALAXY_INIT"' galaxy-init`;
  return { argv: [...evalOf("GALAXY_LAUNCH"), "galaxy-container"], env: { GALAXY_LAUNCH: `${JOIN}\n${enter}`, GALAXY_INIT: initScript(plan) } };
}

/** The flags of nsenter(1) that enter the namespaces of the init with host pid `initPid`. */
export function nsenterFlags(namespaces: readonly Namespace[], initPid: number): string[] {
  if (!(Number.isInteger(initPid) && initPid > 1)) throw new InvalidError(`bad init pid ${initPid}`);
  return ["-t", String(initPid), "-m", ...(namespaces.includes("uts") ? ["-u"] : []), ...(namespaces.includes("pid") ? ["-p"] : [])];
}

/**
 * A namespaced container's worker (at create and at every restart): join the cgroup, enter the init's namespaces,
 * cd into the workspace, run `worker` under the wrapper. With a pid namespace nsenter forks and stays outside as the
 * wrapper's parent, passing its exit status on; the worker gets the host's /proc on HOST_PROC_FD, the cluster dir
 * (hidden in its namespace) on CLUSTER_DIR_FD and the host's / on HOST_ROOT_FD. Tasks close them all
 * (appworker/task-launch.ts), and cannot open another uid's /proc/<pid>/fd.
 */
export function enterCommand(namespaces: readonly Namespace[], initPid: number, workspace: string, worker: readonly string[], clusterDir = ""): Launch {
  const hostProc = namespaces.includes("pid") ? `exec ${HOST_PROC_FD}</proc\n` : "";
  const cluster = clusterDir ? `exec ${CLUSTER_DIR_FD}<${q(clusterDir)}\n` : "";
  const enter = `${hostProc}${cluster}exec ${HOST_ROOT_FD}</\nexec nsenter ${nsenterFlags(namespaces, initPid).join(" ")} -- /bin/sh -c 'eval "$GALAXY_ENTER"' galaxy-worker "$@"`;
  const cd = `cd ${q(workspace)} || { echo "galaxy-worker: cannot enter the workspace" >&2; exit ${EXIT_SETUP_FAILED}; }`;
  return {
    argv: [...evalOf("GALAXY_LAUNCH"), "galaxy-container", ...worker],
    env: { GALAXY_LAUNCH: `${JOIN}\n${enter}`, GALAXY_ENTER: [cd, ...WRAP].join("\n") },
  };
}
