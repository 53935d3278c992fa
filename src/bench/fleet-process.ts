// Simulated agents in their own process (`galaxy bench agents`, hidden), so the ResMan under test and the load
// generator never share an event loop. The parent talks to the child with JSON lines: a request on stdin
// ({id, cmd, ...}), one answer on stdout ({id, ...}).
//
//   parent (bench cluster / failover) ──stdin──► child: SimFleet ──HTTP──► ResMan
//                                     ◄─stdout── {id, stats | tracked | ok}
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { InternalError } from "../core/errors.ts";
import { selfCommand } from "../sys/self.ts";
import { agentInfoOf } from "./protocol.ts";
import { SimFleet, type FleetStats, type TrackedTimes } from "./sim-fleet.ts";
import type { Shape } from "./workload.ts";

export interface FleetChildOptions {
  resman: string[];
  clusterDir: string;
  count: number;
  shape: Shape;
  /** Distinguishes the endpoints of several fleets on one ResMan. */
  fleet: number;
  intervalMs: number;
  heartbeatOnly: boolean;
  maxInFlight: number;
  /** Send through fetch's process-wide pool instead of two connections per agent (SimFleetOptions.ownConnections). */
  sharedPool: boolean;
}

export const simEndpoint = (fleet: number, i: number): string => `sim-${fleet}-${i}:1646`;

/** ResMan addresses: the leader file's address first (re-read at most every 250 ms), then the fixed ones. */
export function leaderAddresses(clusterDir: string, fixed: string[]): () => string[] {
  let cached: string[] = fixed;
  let readAt = 0;
  return () => {
    const now = Date.now();
    if (now - readAt < 250) return cached;
    readAt = now;
    try {
      const addr = (JSON.parse(readFileSync(join(clusterDir, "resman.leader"), "utf8")) as { addr?: string }).addr;
      cached = [...new Set([...(addr ? [addr] : []), ...fixed])];
    } catch {
      cached = fixed;
    }
    return cached;
  };
}

/** The child's main loop: runs the fleet and answers the parent until told to stop (or stdin closes). */
export async function runFleetChild(o: FleetChildOptions): Promise<void> {
  const secretFile = join(o.clusterDir, "secret");
  if (!existsSync(secretFile)) throw new InternalError(`no cluster secret at ${secretFile}`);
  const fleet = new SimFleet({
    resman: leaderAddresses(o.clusterDir, o.resman), secret: readFileSync(secretFile, "utf8").trim(),
    infos: Array.from({ length: o.count }, (_, i) => agentInfoOf(simEndpoint(o.fleet, i), o.shape)),
    intervalMs: o.intervalMs, heartbeatOnly: o.heartbeatOnly, maxInFlight: o.maxInFlight,
    ownConnections: !o.sharedPool,
  });
  fleet.start();
  const write = (v: unknown) => process.stdout.write(JSON.stringify(v) + "\n");
  write({ id: 0, ready: true, agents: o.count });
  let buf = "";
  for await (const chunk of Bun.stdin.stream()) {
    buf += new TextDecoder().decode(chunk);
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const req = JSON.parse(line) as { id: number; cmd: string; reset?: boolean; groups?: string[]; group?: string; since?: number; ms?: number };
      switch (req.cmd) {
        case "stats": write({ id: req.id, stats: fleet.stats(req.reset === true) }); break;
        case "track": fleet.track(req.groups ?? []); write({ id: req.id, ok: true }); break;
        case "interval": fleet.setIntervalMs(req.ms ?? 0); write({ id: req.id, ok: true }); break;
        case "tracked": write({ id: req.id, tracked: fleet.trackedTimes(req.group ?? "", req.since ?? 0) }); break;
        case "stop": fleet.stop(); write({ id: req.id, ok: true }); return;
        default: write({ id: req.id, error: `unknown command ${req.cmd}` });
      }
    }
  }
  fleet.stop();
}

/** The parent's handle on a child fleet. */
export class FleetProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (v: Record<string, unknown>) => void>();
  private readyResolve!: () => void;
  readonly ready = new Promise<void>((r) => (this.readyResolve = r));

  private constructor(readonly proc: Subprocess<"pipe", "pipe", "pipe">, readonly stderr: string[]) {
    void this.readLines();
    void this.readStderr();
  }

  static start(o: FleetChildOptions, galaxy: string[] = selfCommand()): FleetProcess {
    const argv = [
      ...galaxy, "bench", "agents", "--resman", o.resman.join(","), "--cluster-dir", o.clusterDir, "--count", String(o.count),
      "--shape", `${o.shape.millicores}m/${o.shape.memory}/${o.shape.disk}`, "--fleet", String(o.fleet),
      "--interval", `${o.intervalMs}ms`, "--max-in-flight", String(o.maxInFlight), ...(o.heartbeatOnly ? ["--heartbeat-only"] : []),
      ...(o.sharedPool ? ["--shared-pool"] : []),
    ];
    // Every agent keeps a WatchCaps in flight: lift fetch's default limit of 256 concurrent requests per process.
    const env = { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(Math.min(65_000, o.count + o.maxInFlight + 64)) };
    const proc = Bun.spawn(argv, { stdin: "pipe", stdout: "pipe", stderr: "pipe", env });
    return new FleetProcess(proc, []);
  }

  get pid(): number {
    return this.proc.pid;
  }

  async stats(reset = false): Promise<FleetStats> {
    return (await this.request({ cmd: "stats", reset })).stats as FleetStats;
  }

  async track(groups: string[]): Promise<void> {
    await this.request({ cmd: "track", groups });
  }

  /** Heartbeat every `ms` (0: as ResMan's replies say). */
  async setIntervalMs(ms: number): Promise<void> {
    await this.request({ cmd: "interval", ms });
  }

  async tracked(group: string, since: number): Promise<TrackedTimes> {
    return (await this.request({ cmd: "tracked", group, since })).tracked as TrackedTimes;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      await Promise.race([this.request({ cmd: "stop" }), Bun.sleep(2000)]).catch(() => {});
      this.proc.kill("SIGKILL");
    }
    await this.proc.exited;
  }

  private request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.proc.exitCode !== null) throw new InternalError(`the simulated agents exited (${this.proc.exitCode}): ${this.stderr.join("").slice(-500)}`);
    const id = this.nextId++;
    const answer = new Promise<Record<string, unknown>>((resolve) => this.waiting.set(id, resolve));
    this.proc.stdin.write(JSON.stringify({ id, ...msg }) + "\n");
    this.proc.stdin.flush();
    return answer;
  }

  private async readLines(): Promise<void> {
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of this.proc.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown> & { id: number };
        buf = buf.slice(nl + 1);
        if (msg.id === 0) this.readyResolve();
        else this.waiting.get(msg.id)?.(msg), this.waiting.delete(msg.id);
      }
    }
  }

  private async readStderr(): Promise<void> {
    const dec = new TextDecoder();
    for await (const chunk of this.proc.stderr) {
      this.stderr.push(dec.decode(chunk));
      if (this.stderr.length > 50) this.stderr.shift();
    }
  }
}
