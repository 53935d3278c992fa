// The format of a task log's index (logs/<task>.<out|err>.idx, written by the worker, read by the agent): one line
// "<size> <ms>" per sample in which the log had grown to <size> bytes.

/** Parses an index: [size, ms] pairs, sizes increasing. */
export function parseIndex(text: string): [number, number][] {
  const out: [number, number][] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+) (\d+)$/.exec(line);
    if (m) out.push([Number(m[1]), Number(m[2])]);
  }
  return out;
}
