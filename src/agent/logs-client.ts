// The client side of Agent/ReadLogs (for `galaxy logs`): which pod a user means (AppMaster/ListPods by job id, the
// pod id minus its ".N", or the job's only pod), then the log read in chunks from its agent, and followed.
import { AmbiguousError, InvalidError, NotFoundError } from "../core/errors.ts";
import type { RpcClient } from "../rpc/index.ts";
import type { Pod } from "../rpc/types.ts";

/** The job id part of a pod id or pod id prefix ("web-2026….0" -> "web-2026…"); the whole text when it has no ".N". */
export function jobIdOf(podText: string): string {
  const m = /^(.+)\.\d*$/.exec(podText);
  return m ? m[1]! : podText;
}

/** Pure: the pod a text names among a job's pods: an exact id, a unique id prefix, or the job's only pod. */
export function choosePod(pods: readonly Pod[], text: string): Pod {
  const exact = pods.find((p) => p.id === text);
  if (exact) return exact;
  const hasIndex = /\.\d*$/.test(text);
  const matches = hasIndex ? pods.filter((p) => p.id.startsWith(text)) : pods;
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new NotFoundError("pod", text);
  throw new AmbiguousError("pod", text, matches.map((p) => p.id));
}

export async function findPod(am: RpcClient, text: string): Promise<Pod> {
  if (text.trim() === "") throw new InvalidError("give a pod id, e.g. web-20261121-1432-7f3a.0");
  const { pods } = await am.call("AppMaster/ListPods", { jobId: jobIdOf(text) });
  const pod = choosePod(pods, text);
  if (!pod.agent) throw new InvalidError(`pod ${pod.id} is not on an agent yet (${pod.state}); its logs do not exist yet`);
  return pod;
}

export interface LogsRequest {
  containerId: string;
  task: string;
  stderr: boolean;
  tail: number;
}

const CHUNK = 1 << 20;

/** Prints what the log holds now (its last `tail` lines, or all of it), until a read comes back empty; returns the offset reached. */
export async function printLogs(agent: RpcClient, req: LogsRequest, write: (b: Uint8Array) => void): Promise<number> {
  let offset = 0;
  let tail = req.tail;
  for (;;) {
    const r = await agent.call("Agent/ReadLogs", { ...req, tail, offset, maxBytes: CHUNK });
    if (r.data.length === 0) return r.exists ? r.offset : 0;
    write(r.data);
    tail = 0;
    offset = r.offset;
  }
}

/** Polls for new output every `everyMs` until `stop()` says so; a truncated or rotated file is read from its start. */
export async function followLogs(
  agent: RpcClient,
  req: LogsRequest,
  from: number,
  write: (b: Uint8Array) => void,
  stop: () => boolean,
  everyMs = 500,
): Promise<void> {
  let offset = from;
  while (!stop()) {
    const r = await agent.call("Agent/ReadLogs", { ...req, tail: 0, offset, maxBytes: CHUNK });
    if (r.data.length > 0) write(r.data);
    else await Bun.sleep(everyMs);
    offset = r.offset;
  }
}
