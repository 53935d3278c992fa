// Reading a container's task output for `galaxy logs` (tail or from an offset), so users never need a shell on the host.
// A file that shrank below the offset (rotated, truncated) is read again from its start.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { parseIndex } from "../core/log-index.ts";
import { join } from "node:path";
import { InvalidError } from "../core/errors.ts";

const MAX = 1 << 20;

export interface ReadLogsRequest {
  containerId: string;
  task: string;
  stderr: boolean;
  offset: number;
  tail: number;
  maxBytes: number;
  previous?: boolean;
  since?: number;
  timestamps?: boolean;
}

/** logs/<task>.out|.err of a workspace ("worker" or "" reads the worker's own log). */
export function logFile(workspace: string, task: string, stderr: boolean, previous = false): string {
  const t = task || "worker";
  if (!/^[A-Za-z0-9_.-]+$/.test(t) || t.startsWith(".")) throw new InvalidError(`bad task name ${JSON.stringify(t)}`);
  if (t === "worker" && previous) throw new InvalidError("--previous is for a task's output, not the worker log");
  return t === "worker" ? join(workspace, "logs", "worker.log") : join(workspace, "logs", `${t}.${stderr ? "err" : "out"}${previous ? ".prev" : ""}`);
}

export function readLogs(workspace: string, req: ReadLogsRequest): { data: Uint8Array; offset: number; exists: boolean } {
  const file = logFile(workspace, req.task, req.stderr, req.previous);
  if (!existsSync(file)) return { data: new Uint8Array(), offset: 0, exists: false };
  const size = statSync(file).size;
  const max = Math.min(req.maxBytes || MAX, MAX);
  let start = req.offset > size ? 0 : req.offset;
  if (req.tail > 0) start = tailStart(file, size, req.tail);
  const index = req.since || req.timestamps ? readIndex(`${file}.idx`) : [];
  if (req.since && start === 0 && !req.tail) start = sinceOffset(index, req.since);
  else if (req.since && req.tail > 0) start = Math.max(start, sinceOffset(index, req.since));
  const len = Math.min(max, size - start);
  const buf = Buffer.alloc(len);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buf, 0, len, start);
  } finally {
    closeSync(fd);
  }
  if (req.timestamps) return { ...stampLines(buf, start, index, Date.now()), exists: true };
  return { data: buf, offset: start + len, exists: true };
}

function readIndex(idx: string): [number, number][] {
  try {
    return parseIndex(readFileSync(idx, "utf8"));
  } catch {
    return [];
  }
}

/** Where the first line written at or after `since` starts: the size the log had at the last sample before it. */
export function sinceOffset(index: readonly [number, number][], since: number): number {
  let off = 0;
  for (const [size, at] of index) {
    if (at >= since) break;
    off = size;
  }
  return off;
}

/** Whole lines of `buf` (read at `start`), each prefixed with when it was written (a line not yet sampled: now). */
export function stampLines(buf: Uint8Array, start: number, index: readonly [number, number][], now: number): { data: Uint8Array; offset: number } {
  const lastNl = buf.lastIndexOf(10);
  const whole = lastNl < 0 ? (buf.length >= MAX ? buf.length : 0) : lastNl + 1; // a partial last line waits for its end
  const text = Buffer.from(buf.subarray(0, whole)).toString("utf8");
  let pos = start;
  let i = 0;
  const out: string[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    if (!line) continue;
    const end = pos + Buffer.byteLength(line);
    while (i < index.length && index[i]![0] < end) i++;
    out.push(`${new Date(index[i]?.[1] ?? now).toISOString()} ${line}`);
    pos = end;
  }
  return { data: Buffer.from(out.join("")), offset: start + whole };
}

/** Byte offset where the last `lines` lines begin (reads backwards in blocks). */
function tailStart(file: string, size: number, lines: number): number {
  const fd = openSync(file, "r");
  try {
    let pos = size;
    let seen = 0;
    const block = Buffer.alloc(64 * 1024);
    while (pos > 0) {
      const n = Math.min(block.length, pos);
      pos -= n;
      readSync(fd, block, 0, n, pos);
      for (let i = n - 1; i >= 0; i--) {
        if (block[i] === 10 && !(pos + i === size - 1)) {
          if (++seen === lines) return pos + i + 1;
        }
      }
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}
