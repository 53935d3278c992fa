// How anything of the job's starts (a task, its health, stop and reload commands, the unpacking of a package): one
// pure function from an argv and the container's task identity to the argv to spawn. It does not depend on the worker
// being inside the container, so a worker serving several containers (one per host) can use it as it is.
//
//   /bin/sh galaxy-task: close the worker's private fds (7: the host's /, 8: the cluster dir, 9: the host's /proc)
//     ─► join the tasks' cgroup (the one with the job's limits; the worker lives in a sibling, outside them)
//     ─► give up the worker's OOM protection (the kernel kills the task that ran out, not the worker)
//     └─exec─► setpriv --reuid U --regid G --clear-groups, no capabilities (inheritable, ambient, bounding), no_new_privs
//                └─exec─► the command
// Without an identity (an agent that cannot drop privileges: not root, no setpriv(1)) only the first three steps.

/** Exit status of a task whose launch could not join its cgroup (the agent's launch scripts use the same). */
export const EXIT_CANNOT_JOIN_CGROUP = 97;

/** File descriptors the worker may hold that a task must not inherit (the host's /, the cluster dir, the host's /proc). */
export const PRIVATE_FDS = [7, 8, 9] as const;

/** A container's namespaces, entered by a worker serving every container of its host (`appworker --host`). */
export interface TaskEntry {
  /** host pid of the container's init (galaxy-init: it holds the namespaces) */
  initPid: number;
  /** which of them: some of mount, uts, pid */
  namespaces: readonly string[];
}

export interface TaskIdentity {
  /** the container's task uid and gid (the agent allocates them per container) */
  uid: number;
  gid: number;
  /** cgroup.procs files of the tasks' cgroup, joined before the exec ([]: none) */
  procs: string[];
  /** false: setpriv(1) is missing or the agent is not root; the task keeps the worker's user (degraded) */
  drop: boolean;
  /** set when the worker is outside the container: every launch first enters its namespaces (nsenter) */
  enter?: TaskEntry;
}

const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** The setpriv(1) arguments that make a process uid:gid with no capabilities and no_new_privs. */
export function setprivArgs(uid: number, gid: number): string[] {
  if (!(Number.isInteger(uid) && uid > 0 && Number.isInteger(gid) && gid > 0)) throw new Error(`bad task identity ${uid}:${gid}: want a uid and gid above 0`);
  return [
    "setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups",
    "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
  ];
}

/** The flags of nsenter(1) that enter a container's namespaces through its init. */
export function enterFlags(e: TaskEntry): string[] {
  if (!(Number.isInteger(e.initPid) && e.initPid > 1)) throw new Error(`bad init pid ${e.initPid}`);
  const has = (n: string) => e.namespaces.includes(n);
  return ["-t", String(e.initPid), ...(has("mount") ? ["-m"] : []), ...(has("uts") ? ["-u"] : []), ...(has("pid") ? ["-p"] : [])];
}

/**
 * The argv that runs `argv` as the container's task: private fds closed, in the tasks' cgroup, unprivileged. With
 * `id.enter` (a host worker, outside the container): nsenter into the container's namespaces first, then `cd` back
 * by path to the directory it was spawned in (entering a mount namespace moves to its root; a directory kept open
 * from the host's would lead out of the container's view by `..`).
 */
export function launchArgv(argv: readonly string[], id: TaskIdentity | null): string[] {
  const lines = [`exec ${PRIVATE_FDS.map((fd) => `${fd}<&-`).join(" ")}`];
  if (id?.enter) lines.unshift(`cd -- "$1" || exit ${EXIT_CANNOT_JOIN_CGROUP}`, "shift");
  for (const f of id?.procs ?? []) lines.push(`echo $$ > ${q(f)} || exit ${EXIT_CANNOT_JOIN_CGROUP}`);
  lines.push("echo 0 > /proc/self/oom_score_adj 2>/dev/null");
  lines.push(id?.drop ? `exec ${setprivArgs(id.uid, id.gid).join(" ")} "$@"` : `exec "$@"`);
  if (id?.enter) {
    const outer = `exec nsenter ${enterFlags(id.enter).join(" ")} -- /bin/sh -c "$0" galaxy-task "$PWD" "$@"`;
    return ["/bin/sh", "-c", outer, lines.join("\n"), ...argv];
  }
  return ["/bin/sh", "-c", lines.join("\n"), "galaxy-task", ...argv];
}

/** A shell command of the job's (a task's start, a health check, a stop or reload command), launched as its task. */
export function taskArgv(command: string, id: TaskIdentity | null): string[] {
  return launchArgv(["/bin/sh", "-c", command], id);
}

/** The identity the agent gives the worker (GALAXY_TASK_UID, GALAXY_TASK_GID, GALAXY_TASK_PROCS, GALAXY_TASK_DROP). */
export function taskIdentityFrom(env: Record<string, string | undefined>): TaskIdentity | null {
  const uid = Number(env.GALAXY_TASK_UID ?? "");
  const gid = Number(env.GALAXY_TASK_GID ?? env.GALAXY_TASK_UID ?? "");
  const procs = (env.GALAXY_TASK_PROCS ?? "").split(" ").filter(Boolean);
  if (!(uid > 0 && gid > 0)) return procs.length > 0 ? { uid: 0, gid: 0, procs, drop: false } : null;
  return { uid, gid, procs, drop: env.GALAXY_TASK_DROP === "1" };
}

/** What of the worker's environment a task never sees: its credential, its private paths, its identity. */
export const WORKER_ONLY_ENV = [
  "GALAXY_POD_TOKEN", "GALAXY_CGROUP_PROCS", "GALAXY_PORTS", "GALAXY_HOST_PROC", "GALAXY_HOST_ROOT", "GALAXY_CLUSTER_DIR", "GALAXY_APPMASTER",
  "GALAXY_TASK_UID", "GALAXY_TASK_GID", "GALAXY_TASK_PROCS", "GALAXY_TASK_DROP", "GALAXY_OOM_COUNTER", "GALAXY_MEMORY_LIMIT",
] as const;

/** The environment of a task: the worker's, less what only the worker may know; HOME is the workspace when unprivileged. */
export function taskEnvOf(env: Record<string, string | undefined>, workspace: string, id: TaskIdentity | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  for (const k of WORKER_ONLY_ENV) delete out[k];
  if (id?.drop) out.HOME = workspace;
  return out;
}
