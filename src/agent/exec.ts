// galaxy exec on the agent: who may run a command in a container, and the argv that runs it there, pure.
//
//   /bin/sh galaxy-exec: join the tasks' cgroup (echo $$ > procs) ─exec─► nsenter -t <init> -m [-u] [-p] ─►
//     /bin/sh: cd <workspace> ─exec─► setpriv --reuid <task uid> … ─► CMD…
//
// The cgroup is joined on the host (its files are the host's), the namespaces entered next (nsenter needs the
// agent's privileges), the task's user taken last. Without namespaces: cgroup, cd, setpriv. exec-run.ts spawns it.
import { PermissionDeniedError, UnauthenticatedError } from "../core/errors.ts";
import type { Principal } from "../rpc/index.ts";
import type { ContainerCheckpoint } from "./core.ts";
import { nsenterFlags } from "./launch.ts";

/** exec: internal callers, admins, the container's owner, and users with `update` on the agent's pool. */
export function checkExecAccess(p: Principal, owner: string, pool: string): void {
  if (p.kind === "internal" || p.admin === true) return;
  if (p.kind !== "user") throw new UnauthenticatedError();
  if (owner !== "" && owner === p.user) return;
  if ((p.grants?.[pool] ?? []).includes("update")) return;
  throw new PermissionDeniedError(`user ${p.user} may not exec in a container of ${owner || "another user"} in pool ${pool} (needs update there)`);
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface ExecTarget {
  cp: Pick<ContainerCheckpoint, "workspace" | "namespaces" | "initPid" | "taskUid">;
  /** the tasks' cgroup procs files */
  procs: readonly string[];
  /** the agent can take the task's user (root and setpriv) */
  drop: boolean;
}

/** The argv that runs `argv` in the container as its tasks run. */
export function execArgv(t: ExecTarget, argv: readonly string[]): string[] {
  const uid = t.cp.taskUid ?? 0;
  const setpriv = t.drop && uid > 0
    ? `exec setpriv --reuid=${uid} --regid=${uid} --clear-groups --inh-caps=-all --ambient-caps=-all --bounding-set=-all --no-new-privs -- "$@"`
    : `exec "$@"`;
  const inner = `cd ${q(t.cp.workspace)} || exit 126\n${setpriv}`;
  const ns = t.cp.namespaces ?? [];
  const join = t.procs.map((f) => `echo $$ > ${q(f)} || exit 126`);
  const enter = ns.length > 0 && t.cp.initPid
    ? `exec nsenter ${nsenterFlags(ns, t.cp.initPid).join(" ")} -- /bin/sh -c ${q(inner)} galaxy-exec "$@"`
    : inner;
  return ["/bin/sh", "-c", [...join, enter].join("\n"), "galaxy-exec", ...argv];
}
