// Reading a container's task output for `galaxy logs` (tail or from an offset), so users never need a shell on the host.
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { InvalidError, NotFoundError } from "../core/errors.ts";
import type { ContainerManager } from "./containers.ts";

const MAX = 1 << 20;

export function readLogs(
  m: ContainerManager,
  req: { containerId: string; task: string; stderr: boolean; offset: number; tail: number; maxBytes: number },
): { data: Uint8Array; offset: number; exists: boolean } {
  const cp = m.held.get(req.containerId);
  if (!cp) throw new NotFoundError("container", req.containerId);
  const task = req.task || "worker";
  if (!/^[A-Za-z0-9_.-]+$/.test(task) || task.startsWith(".")) throw new InvalidError(`bad task name ${JSON.stringify(task)}`);
  const file = task === "worker" ? join(cp.workspace, "logs", "worker.log") : join(cp.workspace, "logs", `${task}.${req.stderr ? "err" : "out"}`);
  if (!existsSync(file)) return { data: new Uint8Array(), offset: 0, exists: false };
  const size = statSync(file).size;
  const max = Math.min(req.maxBytes || MAX, MAX);
  let start = Math.min(req.offset, size);
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
