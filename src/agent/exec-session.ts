// galaxy exec with a terminal: script(1) gives the command a pty on the agent; the client drives the session with
// Agent/ExecAttach (keystrokes in, what the terminal shows out, long-polled), so no stream is needed over the RPC.
// A session nobody attached to for IDLE_MS is killed; one that exited is forgotten once its output was read.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { NotFoundError, PermissionDeniedError } from "../core/errors.ts";

const IDLE_MS = 60_000;
const MAX_BUFFER = 4 << 20;

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The argv of script(1) running `argv` on a pty of rows x cols. */
export function ttyArgv(argv: readonly string[], rows: number, cols: number): string[] {
  const size = rows > 0 && cols > 0 ? `stty rows ${rows} cols ${cols} 2>/dev/null; ` : "";
  return ["script", "-qfec", `${size}exec ${argv.map(sq).join(" ")}`, "/dev/null"];
}

interface Session {
  user: string;
  child: ChildProcess;
  out: Buffer[];
  size: number;
  exited: boolean;
  exitCode: number;
  lastSeen: number;
  wake: (() => void) | null;
}

export class ExecSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly reaper = setInterval(() => this.reap(Date.now()), 5_000);

  constructor() {
    this.reaper.unref?.();
  }

  /** Starts `argv` on a pty; the session id. */
  start(user: string, argv: string[], env: Record<string, string>, cwd: string, rows: number, cols: number, timeoutMs: number): string {
    const [cmd, ...args] = ttyArgv(argv, rows, cols);
    const child = spawn(cmd!, args, { cwd, env: { ...env, TERM: env.TERM ?? "xterm" }, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    const id = randomBytes(16).toString("hex");
    const s: Session = { user, child, out: [], size: 0, exited: false, exitCode: 0, lastSeen: Date.now(), wake: null };
    const take = (d: Buffer) => {
      if (s.size + d.length <= MAX_BUFFER) (s.out.push(d), (s.size += d.length));
      s.wake?.();
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);
    child.stdin!.on("error", () => {});
    child.on("error", (e) => take(Buffer.from(`galaxy exec: ${e.message}\r\n`)));
    child.on("close", (code, sig) => {
      Object.assign(s, { exited: true, exitCode: code ?? (sig ? 137 : 1) });
      clearTimeout(timer);
      s.wake?.();
    });
    const timer = setTimeout(() => kill(child), timeoutMs);
    this.sessions.set(id, s);
    return id;
  }

  /** Sends keystrokes, then waits up to waitMs for output (or the end); what the terminal showed since. */
  async attach(user: string, id: string, stdin: Uint8Array, waitMs: number): Promise<{ output: Uint8Array; exited: boolean; exitCode: number }> {
    const s = this.sessions.get(id);
    if (!s) throw new NotFoundError("exec session", id);
    if (s.user !== user) throw new PermissionDeniedError("this exec session belongs to another user");
    s.lastSeen = Date.now();
    if (stdin.length && !s.exited) s.child.stdin!.write(stdin);
    if (s.out.length === 0 && !s.exited && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(waitMs, 5_000));
        s.wake = () => (clearTimeout(t), resolve());
      });
      s.wake = null;
    }
    const output = Buffer.concat(s.out);
    s.out = [];
    s.size = 0;
    if (s.exited) this.sessions.delete(id);
    return { output, exited: s.exited, exitCode: s.exitCode };
  }

  private reap(now: number): void {
    for (const [id, s] of this.sessions) {
      if (now - s.lastSeen < IDLE_MS) continue;
      kill(s.child);
      this.sessions.delete(id);
    }
  }

  stop(): void {
    clearInterval(this.reaper);
    for (const s of this.sessions.values()) kill(s.child);
    this.sessions.clear();
  }
}

function kill(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // gone already
  }
}
