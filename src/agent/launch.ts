// How a container's first process starts, pure: the shell command that joins the cgroup, enters the namespaces and
// sets up the mounts, then runs the worker. No instruction of the worker ever runs outside its cgroup.
//
//   /bin/sh galaxy-container: joins every cgroup procs file ($GALAXY_CGROUP_PROCS)
//     ├─ no namespaces: the wrapper (below) runs the worker
//     └─exec─► unshare --mount [--uts] [--pid --fork --mount-proc --kill-child]   (with a pid ns unshare stays outside)
//                └─► /bin/sh galaxy-init: bind the volumes, detach other containers' mounts, hide the agent's state,
//                      the other workspaces and the cluster secret, move the workspace back in, cd into it
//                      └─ the wrapper (pid 1 in a pid namespace)
//   the wrapper: runs the worker as its child, forwards SIGTERM/SIGINT, reaps orphans, records the worker's exit
//   status in .galaxy/worker.exit (read by an agent that re-adopted the container), exits with it.
// The scripts travel in the environment (GALAXY_LAUNCH, GALAXY_INIT) so that `ps` stays readable.
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
 * Namespaces a container gets when the operator does not say. pid is opt-in (`--namespaces mount,pid,uts`): workers
 * report host pids (appworker/host-pid.ts), but a worker the agent restarts would start in a new pid namespace and
 * could not re-adopt its tasks; restarting it inside the container's namespace (nsenter) is still to do.
 */
export const DEFAULT_NAMESPACES: readonly Namespace[] = ["mount", "uts"];

/** Which namespaces containers get here: none without root, without a cgroup driver, or without unshare(1). */
export function resolveNamespaces(
  requested: readonly Namespace[] | "auto",
  host: { root: boolean; isolation: string; hasUnshare: boolean },
): { namespaces: Namespace[]; note: string } {
  const want = requested === "auto" ? [...DEFAULT_NAMESPACES] : [...requested];
  if (want.length === 0) return { namespaces: [], note: "no namespaces (as asked)" };
  const why = !host.root ? "not root" : host.isolation === "none" ? "isolation none" : !host.hasUnshare ? "no unshare(1) on PATH" : "";
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

/**
 * The worker's parent for its whole life, in every mode: forwards SIGTERM and SIGINT to it, reaps orphans (it is pid 1
 * in a pid namespace), records its exit status in WORKER_EXIT_FILE, and exits with it.
 */
const WRAP = [
  `unset GALAXY_LAUNCH GALAXY_INIT`,
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

/** The script of galaxy-init in the new namespaces: mounts, then the wrapped worker (`"$@"`). */
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
  return [...lines, ...WRAP].join("\n");
}

const JOIN = `for f in $GALAXY_CGROUP_PROCS; do echo $$ > "$f" || exit ${EXIT_CANNOT_JOIN_CGROUP}; done`;

/** The fd through which a worker in a pid namespace can still read the host's /proc (to report host pids). */
export const HOST_PROC_FD = 9;

export interface Launch {
  argv: string[];
  /** the scripts, passed in the environment so that `ps` shows a short command line (unset before the worker runs) */
  env: Record<string, string>;
}

/** How to spawn a container's first process (in its workspace): join the cgroup, enter `namespaces`, run `worker`. */
export function launchCommand(namespaces: readonly Namespace[], plan: MountPlan | null, worker: readonly string[]): Launch {
  const evalOf = (v: string) => ["/bin/sh", "-c", `eval "$${v}"`];
  if (namespaces.length === 0 || plan === null) {
    return { argv: [...evalOf("GALAXY_LAUNCH"), "galaxy-container", ...worker], env: { GALAXY_LAUNCH: [JOIN, ...WRAP].join("\n") } };
  }
  const pid = namespaces.includes("pid");
  const flags = ["--mount", ...(namespaces.includes("uts") ? ["--uts"] : []), ...(pid ? ["--pid", "--fork", "--mount-proc", "--kill-child"] : [])];
  const enter = `${pid ? `exec ${HOST_PROC_FD}</proc\n` : ""}exec unshare ${flags.join(" ")} /bin/sh -c 'eval "$GALAXY_INIT"' galaxy-init "$@"`;
  return { argv: [...evalOf("GALAXY_LAUNCH"), "galaxy-container", ...worker], env: { GALAXY_LAUNCH: `${JOIN}\n${enter}`, GALAXY_INIT: initScript(plan) } };
}
