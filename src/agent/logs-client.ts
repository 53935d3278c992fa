// The client side of Agent/ReadLogs (for `galaxy logs`): which pod a user means (an exact pod id, a unique prefix, or
// a job's only pod; logs-locate.ts finds its agent), then the log read in chunks from its agent, and followed.
import { AmbiguousError, NotFoundError } from "../core/errors.ts";
import type { RpcClient } from "../rpc/index.ts";
import type { Pod } from "../rpc/types.ts";

/** The job id part of a pod id or pod id prefix ("web-2026….0" -> "web-2026…"); the whole text when it has no ".N". */
export function jobIdOf(podText: string): string {
  const m = /^(.+)\.\d*$/.exec(podText);
  return m ? m[1]! : podText;
}

/** Pure: the pod a text names among a job's pods: an exact id, a unique id prefix, the job's only pod, or
 * <job name>.<index> ("web.0"). */
export function choosePod(pods: readonly Pod[], text: string): Pod {
  const byIndex = /^(.+)\.(\d+)$/.exec(text);
  const named = byIndex && !pods.some((p) => p.id.startsWith(text)) ? pods.filter((p) => p.id === `${p.jobId}.${byIndex[2]}`) : [];
  if (named.length === 1) return named[0]!;
  return chooseById(pods, (p) => p.id, text);
}

/** Pure: the item whose id a text names: an exact id, a unique id prefix ending in ".N…", or the only item. */
export function chooseById<T>(items: readonly T[], idOf: (t: T) => string, text: string): T {
  const exact = items.find((p) => idOf(p) === text);
  if (exact) return exact;
  const hasIndex = /\.\d*$/.test(text);
  const matches = hasIndex ? items.filter((p) => idOf(p).startsWith(text)) : items;
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new NotFoundError("pod", text);
  throw new AmbiguousError("pod", text, matches.map(idOf));
}

export interface LogsRequest {
  containerId: string;
  task: string;
  stderr: boolean;
  tail: number;
  previous?: boolean;
  since?: number;
  timestamps?: boolean;
}

const CHUNK = 1 << 20;

/** Prints what the log holds now (its last `tail` lines, or all of it), until a read comes back empty; returns the offset reached. */
export async function printLogs(agent: RpcClient, req: LogsRequest, write: (b: Uint8Array) => void): Promise<number> {
  let offset = 0;
  let tail = req.tail;
  for (;;) {
    const r = await agent.call("Agent/ReadLogs", { ...req, tail, offset, maxBytes: CHUNK, since: offset ? 0 : req.since ?? 0 });
    if (r.data.length === 0 && r.offset === offset) return r.exists ? r.offset : 0;
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
    const r = await agent.call("Agent/ReadLogs", { ...req, tail: 0, offset, maxBytes: CHUNK, since: 0 });
    if (r.data.length > 0) write(r.data);
    else await Bun.sleep(everyMs);
    offset = r.offset;
  }
}
