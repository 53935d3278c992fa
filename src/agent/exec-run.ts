// galaxy exec's I/O shell on the agent: the Agent/Exec handler spawns exec.ts's argv, feeds stdin, collects stdout
// and stderr (capped), and kills the command's process group at the timeout.
import { spawn } from "node:child_process";
import { ConflictError, InvalidError, NotFoundError } from "../core/errors.ts";
import type { RpcServer } from "../rpc/index.ts";
import type { ContainerManager } from "./containers.ts";
import { checkExecAccess, execArgv } from "./exec.ts";
import { ExecSessions } from "./exec-session.ts";

const MAX_OUTPUT = 8 << 20;
const MAX_TIMEOUT = 60 * 60_000;

export function registerExec(server: RpcServer, manager: ContainerManager, pool: string): ExecSessions {
  const sessions = new ExecSessions();
  const who = (p: { kind: string; user?: string }) => (p.kind === "user" ? p.user ?? "" : p.kind);
  server.register("Agent/ExecAttach", (req, ctx) => sessions.attach(who(ctx.principal), req.session, req.stdin ?? new Uint8Array(), req.waitMs));
  server.register("Agent/Exec", async (req, ctx) => {
    const cp = manager.held.get(req.containerId);
    if (!cp) throw new NotFoundError("container", req.containerId);
    checkExecAccess(ctx.principal, cp.cap.user, pool);
    if (cp.state !== "running") throw new ConflictError(`container ${cp.id} is ${cp.state}; exec needs a running one`);
    if (req.argv.length === 0) throw new InvalidError("give a command to run: galaxy exec POD -- CMD…");
    const argv = execArgv({ cp, procs: manager.o.driver.procsFiles(cp.cgroup), drop: !!manager.o.dropPrivileges }, req.argv);
    const env = {
      PATH: "/usr/local/bin:/usr/bin:/bin", ...cp.cap.env, HOME: cp.workspace, GALAXY_WORKSPACE: cp.workspace,
      GALAXY_CONTAINER_ID: cp.id, ...(req.task ? { GALAXY_TASK: req.task } : {}),
    };
    const timeout = Math.min(req.timeoutMs || 60_000, MAX_TIMEOUT);
    if (req.tty) {
      const session = sessions.start(who(ctx.principal), argv, env, cp.workspace, req.rows, req.cols, timeout);
      return { stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, signal: "", timedOut: false, truncated: false, session };
    }
    return run(argv, env, cp.workspace, Buffer.from(req.stdin ?? new Uint8Array()), timeout);
  });
  return sessions;
}

function run(argv: string[], env: Record<string, string>, cwd: string, stdin: Buffer, timeoutMs: number) {
  return new Promise<{ stdout: Uint8Array; stderr: Uint8Array; exitCode: number; signal: string; timedOut: boolean; truncated: boolean }>((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const take = (into: Buffer[]) => (d: Buffer) => {
      if (size + d.length > MAX_OUTPUT) truncated = true;
      else (into.push(d), (size += d.length));
    };
    child.stdout!.on("data", take(out));
    child.stderr!.on("data", take(err));
    child.stdin!.on("error", () => {});
    child.stdin!.end(stdin);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    const done = (code: number | null, sig: NodeJS.Signals | null, why = "") => {
      clearTimeout(timer);
      if (why) err.push(Buffer.from(`galaxy exec: ${why}\n`));
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: code ?? (sig ? 128 + signalNumber(sig) : 1), signal: sig ?? "", timedOut, truncated });
    };
    child.on("error", (e) => done(127, null, e.message));
    child.on("close", (code, sig) => done(code, sig));
  });
}

const signalNumber = (s: NodeJS.Signals): number => ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[s] ?? 0;
