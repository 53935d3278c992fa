// Process helpers of the bench's peers (peer-slurm.ts, peer-containerd.ts): daemons in the foreground with their
// stderr in a file, client commands whose failure is one line, and stops that end what they started.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

export function spawn(cmd: string[], env: Record<string, string | undefined>, cwd: string): Subprocess {
  return Bun.spawn(cmd, { env, cwd, stdin: "ignore", stdout: "ignore", stderr: Bun.file(join(cwd, `${cmd[0]}.stderr`)) });
}

/** Runs a client command; its stdout, or an Error with the first line of its stderr. */
export async function run(cmd: string[], env: Record<string, string | undefined>, cwd: string): Promise<string> {
  const p = Bun.spawn(cmd, { env, cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd[0]} exited ${code}: ${err.trim().split("\n")[0] ?? ""}`);
  return out;
}

export async function stopProc(p: Subprocess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill("SIGTERM");
  const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
  await p.exited;
  clearTimeout(t);
}

/** Waits for the listed pids to exit; those left after `ms` are killed. */
export async function waitGone(pids: () => number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && pids().length) await Bun.sleep(200);
  for (const pid of pids()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone meanwhile */
    }
  }
}

export async function until(what: string, cond: () => boolean | Promise<boolean>, ms: number, why: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await Bun.sleep(200);
  }
  const reason = why();
  throw new Error(`timed out waiting for ${what}${reason ? ` (${reason})` : ""}`);
}

/** The last line of a log file, or "". */
export function tail(path: string): string {
  try {
    return readFileSync(path, "utf8").trim().split("\n").at(-1) ?? "";
  } catch {
    return "";
  }
}
