// Reading a container's task output for `galaxy logs` (tail or from an offset), so users never need a shell on the host.
// A file that shrank below the offset (rotated, truncated) is read again from its start.
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
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
}

/** logs/<task>.out|.err of a workspace ("worker" or "" reads the worker's own log). */
export function logFile(workspace: string, task: string, stderr: boolean): string {
  const t = task || "worker";
  if (!/^[A-Za-z0-9_.-]+$/.test(t) || t.startsWith(".")) throw new InvalidError(`bad task name ${JSON.stringify(t)}`);
  return t === "worker" ? join(workspace, "logs", "worker.log") : join(workspace, "logs", `${t}.${stderr ? "err" : "out"}`);
}

export function readLogs(workspace: string, req: ReadLogsRequest): { data: Uint8Array; offset: number; exists: boolean } {
  const file = logFile(workspace, req.task, req.stderr);
  if (!existsSync(file)) return { data: new Uint8Array(), offset: 0, exists: false };
  const size = statSync(file).size;
  const max = Math.min(req.maxBytes || MAX, MAX);
  let start = req.offset > size ? 0 : req.offset;
  if (req.tail > 0) start = tailStart(file, size, req.tail);
  const len = Math.min(max, size - start);
  const buf = Buffer.alloc(len);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buf, 0, len, start);
  } finally {
    closeSync(fd);
  }
  return { data: buf, offset: start + len, exists: true };
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
