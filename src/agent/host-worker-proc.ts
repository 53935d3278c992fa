// The host worker (`galaxy appworker --host DIR`, issue 22): one per agent, serving every namespaced container, in
// its own cgroup galaxy/<agent>/_worker (not charged to any pod). The agent starts it when a container needs it and
// again at any heartbeat that finds it dead (killed, crashed); the tasks never depend on it (it re-adopts them).
// It runs detached (its own session), so an agent restart leaves it running; its pid and start time are in DIR/pid,
// so a restarted agent knows it.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, processStartTicks } from "../sys/proc.ts";
import type { CgroupDriver } from "./cgroup/driver.ts";
import { spawnLaunch } from "./container-procs.ts";
import { agentKey, EXIT_CANNOT_JOIN_CGROUP, WORKER_LIMITS } from "./core.ts";
import type { Launch } from "./launch.ts";

/** The host worker's cgroup, beside the containers' and the per-container workers' (`_workers`). */
export const HOST_WORKER_CGROUP = "_worker";

export const hostWorkerCgroupName = (agentEndpoint: string): string => `galaxy/${agentKey(agentEndpoint)}/${HOST_WORKER_CGROUP}`;

/** Its limits: a per-container worker's, with room for a launcher (nsenter) per task of every container. */
export const HOST_WORKER_LIMITS = { ...WORKER_LIMITS, pids: 65_536 };

/** Joins its cgroup, then becomes the worker (no wrapper: the pid the agent watches is the worker's own). */
export function hostWorkerLaunch(argv: readonly string[]): Launch {
  const join = `for f in $GALAXY_CGROUP_PROCS; do echo $$ > "$f" || exit ${EXIT_CANNOT_JOIN_CGROUP}; done`;
  return { argv: ["/bin/sh", "-c", `${join}\nexec "$@"`, "galaxy-host-worker", ...argv], env: {} };
}

export interface HostWorkerProcOptions {
  dir: string;
  argv: string[];
  env: Record<string, string>;
  driver: CgroupDriver;
  cgroup: string;
  log: (msg: string) => void;
}

export class HostWorkerProc {
  pid = 0;
  private start = 0;
  private starting = false;
  restarts = 0;

  constructor(readonly o: HostWorkerProcOptions) {
    try {
      const [pid, start] = readFileSync(join(o.dir, "pid"), "utf8").trim().split(" ").map(Number);
      if (pid && start) Object.assign(this, { pid, start });
    } catch {
      /* never started here */
    }
  }

  alive(): boolean {
    return this.pid > 0 && isAlive(this.pid, this.start);
  }

  /** Starts it unless it runs (or is being started). */
  async ensure(): Promise<void> {
    if (this.starting || this.alive()) return;
    this.starting = true;
    try {
      const again = this.pid > 0;
      await this.o.driver.create(this.o.cgroup, HOST_WORKER_LIMITS);
      mkdirSync(this.o.dir, { recursive: true });
      const env = { ...this.o.env, GALAXY_CGROUP_PROCS: this.o.driver.procsFiles(this.o.cgroup).join(" ") };
      const child = spawnLaunch(hostWorkerLaunch([...this.o.argv, "--host", this.o.dir]), this.o.dir, env, join(this.o.dir, "worker.log"));
      const pid = child.pid ?? 0;
      child.on("exit", (code, sig) => pid === this.pid && this.o.log(`agent: the host worker (pid ${pid}) ended (${sig ?? `exit ${code}`}); started again at the next heartbeat`));
      this.pid = pid;
      this.start = processStartTicks(pid);
      writeFileSync(join(this.o.dir, "pid"), `${this.pid} ${this.start}\n`);
      if (again) this.restarts++;
      this.o.log(`agent: ${again ? "started the host worker again" : "started the host worker"} (pid ${pid})`);
    } catch (e) {
      this.o.log(`agent: cannot start the host worker: ${(e as Error).message}`);
    } finally {
      this.starting = false;
    }
  }
}
