// Voluntary moves (drain, an agent that lost a label or changed pool), AppMaster's half. ResMan marks the online
// containers that must leave their agent (hint `move`, and `move_blocked` when no other agent has room) but moves
// none of them; AppMaster, which knows health, moves them within the job's disruption budget (disruption.ts):
//
//   hint ──► noteHint: the pod's mark (soft, rebuilt from hints) ──► event when it waits for room ("drain of X
//            waits: no room for web.2 (…)")
//   tick ──► orders(job): allowedMoves(step, pods) ──► MoveOrder (voluntary) ──► RescheduleContainer: ResMan places a
//            new copy and keeps the old one (make-before-break) ──► core.moved: the pod starts over on the new agent
//   the old copy's worker asks FetchTask ──► staleCopyCommand: "none" until the new copy runs healthy, then
//            "terminate" ──► it ends ──► ResMan lets its cap go ──► the next pod may move
import type { ContainerInfo } from "../rpc/types.ts";
import { allowedMoves, type BudgetPod } from "./disruption.ts";
import type { JobRecord } from "./jobs.ts";
import type { Move } from "./planner.ts";
import { staleCopyCommand, type PodEvent, type PodRec } from "./pods.ts";

interface Mark {
  /** The agent the mark is about: a pod moved since (or not placed) is no longer marked. */
  agent: string;
  move: string;
  blocked: string;
}

export class VoluntaryMoves {
  /** Marked pods by job (only jobs with at least one). */
  private readonly marks = new Map<string, Map<string, Mark>>();

  /** A pod's hint was applied: keep ResMan's mark; an event when the move starts to wait for room. */
  noteHint(p: PodRec, c: ContainerInfo): PodEvent[] {
    const job = this.marks.get(p.jobId);
    const prev = job?.get(p.id);
    if (!c.move || !c.agent) {
      if (prev) job!.delete(p.id);
      return [];
    }
    const mark = { agent: c.agent, move: c.move, blocked: c.moveBlocked };
    if (job) job.set(p.id, mark);
    else this.marks.set(p.jobId, new Map([[p.id, mark]]));
    if (mark.blocked && (mark.blocked !== prev?.blocked || prev.agent !== mark.agent)) {
      return [{ podId: p.id, kind: "move", message: `${mark.move} waits: no room for ${p.id} (${mark.blocked})` }];
    }
    return [];
  }

  /** The moves the job's budget allows now (none for a job without marked pods). */
  orders(job: JobRecord, pods: readonly PodRec[]): (Move & { voluntary: true })[] {
    const marks = this.marks.get(job.id);
    if (!marks) return [];
    const live = pods.filter((p) => marks.get(p.id)?.agent === p.agent && p.agent !== "");
    if (live.length === 0) {
      this.marks.delete(job.id);
      return [];
    }
    if (job.state === "destroying" || job.state === "finished") return [];
    const liveIds = new Set(live.map((p) => p.id));
    const inStep = new Set((job.step?.pods ?? []).map((sp) => sp.id)); // being deployed or updated: Galaxy's doing too
    const view = (p: PodRec): BudgetPod => {
      const m = liveIds.has(p.id) ? marks.get(p.id) : undefined;
      return { id: p.id, healthy: isHealthy(p) && !inStep.has(p.id), move: m?.move ?? "", moveBlocked: m?.blocked ?? "",
        busy: p.pendingOp !== "" || inStep.has(p.id) };
    };
    const d = allowedMoves(job.spec.deploy.step, pods.map(view));
    return d.start.map((id) => {
      const p = live.find((x) => x.id === id)!;
      return { pod: id, agent: p.agent, reason: marks.get(id)!.move, blacklist: false, recreate: false, voluntary: true };
    });
  }

  forget(jobId: string): void {
    this.marks.delete(jobId);
  }
}

/** Serving now: its worker says running (every task runs and passes its health check) on an agent that is not lost. */
export function isHealthy(p: PodRec): boolean {
  return p.agent !== "" && p.state === "running" && p.lostSince === 0 && p.reported;
}

/**
 * What a copy of the pod on another agent than the pod's is told: terminate once the pod runs healthy where ResMan
 * placed it, else none (never both serving for long, never zero). For a service its agent need not be known as moved
 * away from: after an AppMaster failover the pod's stale agents are forgotten, and the old copy of a drain must still
 * stop. (Batch copies keep the stricter rule: ResMan may adopt either copy of a revoked batch container back.)
 */
export function oldCopyCommand(p: PodRec, agent: string, online: boolean): "terminate" | "none" {
  if (staleCopyCommand(p, agent) === "terminate") return "terminate";
  return online && p.agent !== agent && isHealthy(p) ? "terminate" : "none";
}
