// The disruption budget, pure: of a job's pods that must leave their agent (ResMan marks them: the agent drains, lost
// a label the job requires, or is in a pool the job does not use), which may start moving now.
//
//   budget = step − (pods not healthy now)          a pod is healthy when its worker says running (every task runs
//                                                    and passes its health check) on a placed agent that is not lost
//   marked pod, no room for a replacement  ──► waits (ResMan's dry run says why)
//   marked pod under an operation          ──► waits (recover, or in the deploy step: deploying, updating)
//   marked pod, not healthy                ──► moves now: it costs nothing, it is down already
//   marked pod, healthy, budget left       ──► moves now (make-before-break), budget − 1
//   marked pod, healthy, no budget         ──► waits until a replacement runs healthy
//
// A moved pod is not healthy until its replacement runs healthy, so with `step` 1 the next pod moves only then:
// never more than `step` pods of a service down because of Galaxy. Pods down for their own reasons count too (as a
// Kubernetes PodDisruptionBudget does): a drain waits for them rather than take the service lower.
import { podIndex } from "./pods.ts";

export interface BudgetPod {
  id: string;
  healthy: boolean;
  /** ResMan wants it off its agent: why ("" when it may stay). */
  move: string;
  /** With move: why no other agent could take a replacement now ("" when one could). */
  moveBlocked: string;
  /** An operation is under way on it: a user's (recover), or it is in the deploy step (deploying, updating). */
  busy: boolean;
}

export interface BudgetDecision {
  /** Move these now, by index. */
  start: string[];
  /** These wait, and why. */
  wait: { pod: string; why: string }[];
}

export function allowedMoves(step: number, pods: readonly BudgetPod[]): BudgetDecision {
  const down = pods.filter((p) => !p.healthy).length;
  let budget = Math.max(1, step) - down;
  const start: string[] = [];
  const wait: BudgetDecision["wait"] = [];
  for (const p of [...pods].filter((x) => x.move).sort((x, y) => podIndex(x.id) - podIndex(y.id))) {
    if (p.moveBlocked) wait.push({ pod: p.id, why: `no room for a replacement (${p.moveBlocked})` });
    else if (p.busy) wait.push({ pod: p.id, why: "an operation is under way on it (recover, deploy or update)" });
    else if (!p.healthy) start.push(p.id);
    else if (budget > 0) start.push(p.id), budget--;
    else wait.push({ pod: p.id, why: `${down} of ${pods.length} pods not healthy and step is ${Math.max(1, step)}` });
  }
  return { start, wait };
}
