// A small process supervisor, as systemd would be on a host: starts each role, restarts it when it dies
// (exponential back-off, reset after a stable minute), prefixes its output, and stops everything on request.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";

export interface ServiceSpec {
  name: string;
  argv: string[];
  env?: Record<string, string>;
  logFile: string;
}

interface Running {
  spec: ServiceSpec;
  child: ChildProcess | null;
  restarts: number;
  startedAt: number;
  timer: ReturnType<typeof setTimeout> | null;
  log: WriteStream;
}

export class Supervisor {
  private readonly services = new Map<string, Running>();
  private stopping = false;

  constructor(private readonly echo: (name: string, line: string) => void) {}

  add(spec: ServiceSpec): void {
    const r: Running = { spec, child: null, restarts: 0, startedAt: 0, timer: null, log: createWriteStream(spec.logFile, { flags: "a" }) };
    this.services.set(spec.name, r);
    this.start(r);
  }

  pid(name: string): number {
    return this.services.get(name)?.child?.pid ?? 0;
  }

  private start(r: Running): void {
    if (this.stopping) return;
    const [cmd, ...args] = r.spec.argv;
    const child = spawn(cmd!, args, { env: { ...process.env, ...r.spec.env }, stdio: ["ignore", "pipe", "pipe"] });
    r.child = child;
    r.startedAt = Date.now();
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => {
        r.log.write(line + "\n");
        this.echo(r.spec.name, line);
      });
    }
    child.on("exit", (code, sig) => {
      if (r.child !== child) return;
      r.child = null;
      if (this.stopping) return;
      if (Date.now() - r.startedAt > 60_000) r.restarts = 0;
      const delay = Math.min(10_000, 250 * 2 ** r.restarts++);
      this.echo(r.spec.name, `exited (${sig ?? `code ${code}`}); restarting in ${delay} ms`);
      r.timer = setTimeout(() => this.start(r), delay);
    });
  }

  /** SIGTERM to every child, SIGKILL to those still alive after graceMs; resolves when all have exited. */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const r of this.services.values()) {
      if (r.timer) clearTimeout(r.timer);
      const child = r.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
          child.once("exit", () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill("SIGTERM");
        }),
      );
    }
    await Promise.all(waits);
    for (const r of this.services.values()) r.log.end();
  }
}
