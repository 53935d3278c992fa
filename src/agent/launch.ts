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
import { EXIT_CANNOT_JOIN_CGROUP, EXIT_SETUP_FAILED } from "./core.ts";
import { InvalidError } from "../core/errors.ts";

export type Namespace = "mount" | "uts" | "pid";
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

export interface Bind {
  source: string;
  target: string;
  readonly: boolean;
}

export interface MountPlan {
  workspace: string;
  /** an empty directory on the host used to carry the workspace while its parent is hidden */
  stage: string;
  binds: Bind[];
  /** directories covered by an empty tmpfs once the binds are made (other containers, the agent's state) */
  hide: string[];
  /** files covered by /dev/null (the cluster secret) */
  hideFiles: string[];
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

/** The script of galaxy-init in the new namespaces: the mounts, then it holds them. */
export function initScript(m: MountPlan): string {
  const lines = [
    `fail() { echo "galaxy-init: $*" >&2; exit ${EXIT_SETUP_FAILED}; }`,
    `mount --rbind ${q(m.workspace)} ${q(m.stage)} || fail "cannot stage the workspace"`,
  ];
  for (const b of m.binds) {
    lines.push(`mount --bind ${q(b.source)} ${q(b.target)} || fail ${q(`cannot bind ${b.source} at ${b.target}`)}`);
    if (b.readonly) lines.push(`mount -o remount,bind,ro ${q(b.target)} || fail ${q(`cannot make ${b.target} read-only`)}`);
  }
  for (const d of m.detach) lines.push(`umount -l ${q(d)} 2>/dev/null`);
  for (const d of m.hide) lines.push(`mount -t tmpfs -o size=64k,mode=755 galaxy-hidden ${q(d)} || fail ${q(`cannot hide ${d}`)}`);
  for (const f of m.hideFiles) lines.push(`mount --bind /dev/null ${q(f)} || fail ${q(`cannot hide ${f}`)}`);
  lines.push(
    `mkdir -p ${q(m.workspace)} && mount --move ${q(m.stage)} ${q(m.workspace)} || fail "cannot mount the workspace"`,
    `cd ${q(m.workspace)} || fail "cannot enter the workspace"`,
  );
  return [...lines, ...HOLD].join("\n");
}

const JOIN = `for f in $GALAXY_CGROUP_PROCS; do echo $$ > "$f" || exit ${EXIT_CANNOT_JOIN_CGROUP}; done`;

/** The fd through which a worker in a pid namespace can still read the host's /proc (to report host pids). */
export const HOST_PROC_FD = 9;

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
 * wrapper's parent, passing its exit status on; the worker gets the host's /proc on HOST_PROC_FD.
 */
export function enterCommand(namespaces: readonly Namespace[], initPid: number, workspace: string, worker: readonly string[]): Launch {
  const hostProc = namespaces.includes("pid") ? `exec ${HOST_PROC_FD}</proc\n` : "";
  const enter = `${hostProc}exec nsenter ${nsenterFlags(namespaces, initPid).join(" ")} -- /bin/sh -c 'eval "$GALAXY_ENTER"' galaxy-worker "$@"`;
  const cd = `cd ${q(workspace)} || { echo "galaxy-worker: cannot enter the workspace" >&2; exit ${EXIT_SETUP_FAILED}; }`;
  return {
    argv: [...evalOf("GALAXY_LAUNCH"), "galaxy-container", ...worker],
    env: { GALAXY_LAUNCH: `${JOIN}\n${enter}`, GALAXY_ENTER: [cd, ...WRAP].join("\n") },
  };
}
