// Where `galaxy logs POD` reads from, and how the pod ended. A pod AppMaster still lists is read from the agent it
// names. One AppMaster forgot (its batch job finished, its job was removed, it waits to be placed again) is looked for
// in the workspaces the agents kept after its container ended (Agent/FindKept, --gc-delay): the newest one wins.
// After the gc delay the agent's record says when the logs were collected, and that is what the user is told.
import { GalaxyError, InvalidError, isGalaxyError, NotFoundError } from "../core/errors.ts";
import type { RpcClient } from "../rpc/index.ts";
import type { KeptContainer, Pod } from "../rpc/types.ts";
import { chooseById, choosePod, jobIdOf } from "./logs-client.ts";

export interface Located {
  podId: string;
  agent: string;
  containerId: string;
  /** the task read when --task is not given */
  firstTask: string;
  /** how the pod ended, one sentence for stderr; null while it runs */
  ended: string | null;
}

export interface LocateClients {
  am: RpcClient;
  rm: () => RpcClient;
  agent: (endpoint: string) => RpcClient;
}

export interface KeptOn {
  agent: string;
  kept: KeptContainer;
}

interface TaskEnd {
  name: string;
  state: string;
  exitCode: number;
  signal: string;
  message: string;
}

/** A task that ended on its own with this status: "stopped" is how a worker told to terminate records an exited one. */
const endedWith = (t: TaskEnd, ok: boolean) => (t.state === "exited" || t.state === "stopped") && !t.signal && (t.exitCode === 0) === ok;

const ENDED = new Set(["finished", "failed", "terminated"]);

/** Pure: one sentence on how a pod ended ("pod web.0 failed: task main exited 3"). */
export function describeEnd(podId: string, tasks: readonly TaskEnd[], failure: string): string {
  const failed = failure !== "" || tasks.some((t) => t.state === "failed" || (endedWith(t, false) && t.exitCode > 0));
  const finished = !failed && tasks.length > 0 && tasks.every((t) => endedWith(t, true));
  const parts = [...(failure ? [failure] : []), ...tasks.map((t) => `task ${t.name} ${t.message || t.state}`)];
  return `pod ${podId} ${failed ? "failed" : finished ? "finished" : "ended"}${parts.length > 0 ? `: ${parts.join("; ")}` : ""}`;
}

const utc = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

/** Pure: what stderr says of a kept pod under its logs. */
export function keptEnd(k: KeptContainer): string {
  return `${describeEnd(k.containerId, k.tasks, k.failure)} (its logs are kept until ${utc(k.deleteAt)})`;
}

/** Pure: the error once a kept workspace was collected. */
export function collectedMessage(k: KeptContainer): string {
  return `the logs of pod ${k.containerId} were collected at ${utc(k.collectedAt)}, --gc-delay after it ended (${describeEnd(k.containerId, k.tasks, k.failure)})`;
}

/** Pure: among what the agents kept, the one a text names (the newest of each container id); null when none. */
export function chooseKept(found: readonly KeptOn[], text: string): KeptOn | null {
  const newest = new Map<string, KeptOn>();
  for (const f of found) {
    const o = newest.get(f.kept.containerId);
    if (!o || f.kept.keptAt > o.kept.keptAt) newest.set(f.kept.containerId, f);
  }
  try {
    return chooseById([...newest.values()].sort((a, b) => a.kept.containerId.localeCompare(b.kept.containerId)), (f) => f.kept.containerId, text);
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
}

export async function locatePod(c: LocateClients, text: string): Promise<Located> {
  if (text.trim() === "") throw new InvalidError("give a pod id, e.g. web-20261121-1432-7f3a.0");
  const listed = await listedPod(c.am, text);
  if (listed?.agent) {
    const ended = ENDED.has(listed.state) ? describeEnd(listed.id, listed.tasks, listed.tasks.length > 0 ? "" : listed.lastError) : null;
    return { podId: listed.id, agent: listed.agent, containerId: listed.containerId || listed.id, firstTask: listed.tasks[0]?.name ?? "worker", ended };
  }
  const found = chooseKept(await keptOnAgents(c, jobIdOf(text)), text);
  if (found) {
    const k = found.kept;
    if (k.collectedAt > 0) throw new GalaxyError("NOT_FOUND", collectedMessage(k));
    return { podId: k.containerId, agent: found.agent, containerId: k.containerId, firstTask: k.tasks[0]?.name ?? "worker", ended: keptEnd(k) };
  }
  if (listed) throw new InvalidError(`pod ${listed.id} is not on an agent yet (${listed.state}); its logs do not exist yet`);
  throw new NotFoundError("pod", text);
}

/** The pod AppMaster lists for a text; null when it knows no such job or pod. */
async function listedPod(am: RpcClient, text: string): Promise<Pod | null> {
  try {
    const { pods } = await am.call("AppMaster/ListPods", { jobId: jobIdOf(text) });
    return choosePod(pods, text);
  } catch (e) {
    if (isGalaxyError(e) && e.code === "NOT_FOUND") return null;
    throw e;
  }
}

/** Every agent the user may see (ResMan/ListAgents), asked at once; an agent that does not answer is skipped. */
export async function keptOnAgents(c: LocateClients, prefix: string): Promise<KeptOn[]> {
  const { agents } = await c.rm().call("ResMan/ListAgents", {});
  const replies = await Promise.all(
    agents.map(async (a) => {
      const agent = a.info.endpoint;
      try {
        const r = await c.agent(agent).call("Agent/FindKept", { prefix }, { timeoutMs: 3000 });
        return r.kept.map((kept) => ({ agent, kept }));
      } catch {
        return [];
      }
    }),
  );
  return replies.flat();
}

/** ReadLogs said the container is gone: when its agent's record says its logs were collected, that error instead. */
export async function explainGone(agent: RpcClient, containerId: string, err: unknown): Promise<never> {
  if (isGalaxyError(err) && err.code === "NOT_FOUND") {
    const r = await agent.call("Agent/FindKept", { prefix: containerId }).catch(() => ({ kept: [] as KeptContainer[] }));
    const k = r.kept.find((x) => x.containerId === containerId && x.collectedAt > 0);
    if (k) throw new GalaxyError("NOT_FOUND", collectedMessage(k));
  }
  throw err;
}
