// `galaxy appworker --host DIR`: one worker serving every container of its agent (issue 22), instead of a Bun runtime
// per container. The agent starts and supervises it in its own cgroup (galaxy/<agent>/_worker) and lists the
// containers in DIR/pods (host-pods.ts); the worker keeps one Worker (the per-pod state machine of worker.ts/core.ts)
// per container and launches every process of a pod inside that container's namespaces (nsenter through its init),
// its cgroup and its uid (task-launch.ts, `enter`). Killed and started again, it re-adopts every running task from
// each workspace's .galaxy/worker.json, as a restarted per-container worker does: the tasks never depend on it.
//
//   scan (1 s): pods/*.json changed? ─► new: Worker + resume ─► stopMs > 0: terminate (then .galaxy/worker.exit = 0)
//                                     ─► its init made anew: a fresh Worker    ─► file gone: forgotten (not touched)
//   tick (250 ms): every pod's Worker.step (tasks polled, health, logs rotated, a report when due) ─► the reports of
//                  the tick in AppMaster/FetchTasks (each with its own pod token; replies dispatched per pod): changes
//                  in one answered at once, routine ones in one AppMaster holds while they ask nothing new (HOLD_MS)
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launchedChild } from "./host-pid.ts";
import { listHostPods, readHostPod, type HostPod } from "../sys/host-pods.ts";
import type { RpcClient } from "../rpc/index.ts";
import type { FetchTaskReply, FetchTaskRequest } from "../rpc/types.ts";
import { appMasterClient, Worker, workerEnvFrom, type WorkerOptions } from "./worker.ts";

/** How long AppMaster may hold a host worker's routine reports (it holds them at most LONG_POLL_MAX_MS). */
export const HOLD_MS = 5_000;

interface Served {
  pod: HostPod;
  mtime: number;
  worker: Worker;
  /** terminated (its exit status written): not stepped any more */
  ended: boolean;
  stopping: boolean;
}

export class HostWorker {
  readonly pods = new Map<string, Served>();
  private lastScan = 0;
  private client: RpcClient | null = null; // one for every pod (made from the first pod's cluster dir and addresses)
  private queued: { req: FetchTaskRequest; hold: boolean; ok: (r: FetchTaskReply) => void; fail: (e: Error) => void }[] = [];

  constructor(
    readonly dir: string,
    readonly log: (msg: string) => void,
    readonly opts: Partial<WorkerOptions> = {},
  ) {}

  /** Takes in what the agent's pod files say. */
  scan(): void {
    const files = listHostPods(this.dir);
    for (const [id, s] of this.pods) {
      if (files.has(id)) continue;
      s.worker.abandon(); // the agent destroyed the container (its processes are gone with its cgroup)
      this.pods.delete(id);
    }
    for (const [id, mtime] of files) {
      const cur = this.pods.get(id);
      if (cur && cur.mtime === mtime) continue;
      const pod = readHostPod(this.dir, id);
      if (!pod) continue;
      if (cur && (cur.pod.initPid !== pod.initPid || cur.pod.initStart !== pod.initStart)) {
        cur.worker.abandon(); // its namespaces were made anew (its init died, and every process of it)
        this.pods.delete(id);
      }
      const s = this.pods.get(id) ?? this.serve(pod);
      if (!s) continue;
      Object.assign(s, { pod, mtime });
      if (pod.stopMs > 0 && !s.stopping && !s.ended) {
        s.stopping = true;
        void s.worker.terminate(pod.stopMs);
      }
    }
  }

  private serve(pod: HostPod): Served | null {
    let env;
    try {
      env = workerEnvFrom(pod.env);
    } catch (e) {
      this.log(`${pod.containerId}: ${(e as Error).message}`);
      return null;
    }
    const base = env.identity ?? { uid: 0, gid: 0, procs: [], drop: false };
    env.identity = { ...base, enter: { initPid: pod.initPid, namespaces: pod.namespaces } };
    const logFile = join(env.workspace, "logs", "worker.log");
    const log = (msg: string) => {
      try {
        appendFileSync(logFile, `${new Date().toISOString()} worker ${env.podId}: ${msg}\n`);
      } catch {
        /* its workspace is gone */
      }
    };
    const s: Served = { pod, mtime: 0, worker: null as unknown as Worker, ended: false, stopping: false };
    this.client ??= appMasterClient(env.clusterDir, env.appmaster);
    s.worker = new Worker(env, log, {
      client: this.client,
      shownPid: launchedChild, // the task, not its launcher: in the pod's cgroup, what `galaxy pods` shows
      send: (req, hold) => new Promise((ok, fail) => this.queued.push({ req, hold, ok, fail })), // out with the next flush
      ...this.opts,
      env: pod.env,
      hostPid: () => process.pid,
      exit: (code) => {
        s.ended = true;
        try {
          writeFileSync(join(env.workspace, ".galaxy", "worker.exit"), `${code}\n`); // what a per-container wrapper writes
        } catch (e) {
          log(`cannot record the exit: ${(e as Error).message}`);
        }
      },
    });
    this.pods.set(pod.containerId, s);
    s.worker.resume(); // re-adopts its running tasks after a restart of this worker
    this.log(`serving ${pod.containerId} (init ${pod.initPid})`);
    return s;
  }

  /** One tick: a scan when due, then every pod's step. */
  step(now: number): void {
    if (now - this.lastScan >= 1000) {
      this.lastScan = now;
      this.scan();
    }
    for (const s of this.pods.values()) if (!s.ended) s.worker.step(now);
    this.flush();
  }

  /**
   * Every report queued since the last flush in AppMaster/FetchTasks calls, each pod getting its own reply or error:
   * changes in one call answered at once, routine reports in one that AppMaster may hold (HOLD_MS) while they ask
   * nothing new, so that idle pods cost a call every few seconds, not every second.
   */
  flush(): void {
    const batch = this.queued.splice(0);
    for (const hold of [false, true]) {
      const part = batch.filter((b) => b.hold === hold);
      if (part.length === 0 || !this.client) continue;
      const waitMs = hold ? HOLD_MS : 0;
      this.client.call("AppMaster/FetchTasks", { reports: part.map((b) => b.req), waitMs }, { timeoutMs: waitMs + 10_000 }).then(
        (r) => part.forEach((b, i) => {
          const reply = r.replies[i];
          if (r.errors[i] || !reply) b.fail(new Error(r.errors[i] || "no reply for this pod"));
          else b.ok(reply);
        }),
        (e: Error) => part.forEach((b) => b.fail(e)),
      );
    }
  }

  async run(tickMs = 250): Promise<void> {
    for (;;) {
      this.step(Date.now());
      await Bun.sleep(tickMs);
    }
  }
}
