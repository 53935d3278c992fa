// End-to-end harness: runs the compiled executable (dist/galaxy) as a user would, in a temp dir with its own HOME,
// on free loopback ports; waits on conditions (never fixed sleeps); cleans up every process it started.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "..", "..");
export const GALAXY = join(ROOT, "dist", "galaxy");

export function requireBinary(): void {
  if (!existsSync(GALAXY)) throw new Error(`${GALAXY} is missing: run \`npm test\` (it builds first) or \`npm run build\``);
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh world: temp dir, HOME inside it (so ~/.galaxy/config is ours), and a cluster base port. */
export class World {
  readonly dir = mkdtempSync(join(tmpdir(), "galaxy-e2e-"));
  readonly env: Record<string, string>;
  private readonly children: ChildProcess[] = [];

  constructor() {
    this.env = { ...(process.env as Record<string, string>), HOME: this.dir, NO_COLOR: "1", GALAXY_CONFIG: join(this.dir, ".galaxy", "config") };
    delete this.env.GALAXY_APPMASTER;
    delete this.env.GALAXY_RESMAN;
  }

  run(args: string[], opts: { input?: string; cwd?: string } = {}): RunResult {
    const r = spawnSync(GALAXY, args, { env: this.env, cwd: opts.cwd ?? this.dir, input: opts.input, encoding: "utf8", timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }

  json<T = any>(args: string[]): T {
    const r = this.run([...args, "--json"]);
    if (r.code !== 0) throw new Error(`galaxy ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  /** Starts a long-running galaxy process; output goes to DIR/<name>.out. */
  start(name: string, args: string[]): ChildProcess {
    const out = Bun.file(join(this.dir, `${name}.out`)).writer();
    const child = spawn(GALAXY, args, { env: this.env, cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d) => out.write(d));
    child.stderr!.on("data", (d) => out.write(d));
    child.on("exit", () => void out.end());
    this.children.push(child);
    return child;
  }

  log(name: string): string {
    const f = join(this.dir, `${name}.out`);
    return existsSync(f) ? readFileSync(f, "utf8") : "";
  }

  /** SIGTERM every started child, SIGKILL after 20 s, then remove the temp dir (GALAXY_E2E_KEEP=1 keeps it to read). */
  async cleanup(): Promise<void> {
    await Promise.all(this.children.map((c) => stopChild(c, "SIGTERM", 20_000)));
    if (process.env.GALAXY_E2E_KEEP === "1") return void console.error(`kept ${this.dir}`);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function stopChild(c: ChildProcess, sig: NodeJS.Signals, graceMs: number): Promise<number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return c.exitCode;
  const done = new Promise<number | null>((r) => c.once("exit", (code) => r(code)));
  c.kill(sig);
  const t = setTimeout(() => c.kill("SIGKILL"), graceMs);
  const code = await done;
  clearTimeout(t);
  return code;
}

/** Polls until cond returns a truthy value; throws with `what` (and the last error) after timeoutMs. */
export async function waitFor<T>(what: string, cond: () => T | Promise<T>, timeoutMs = 30_000, stepMs = 200): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>; // only a truthy value ends the wait
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await Bun.sleep(stepMs);
  }
}

/**
 * Ports for tests stay outside the kernel's ephemeral range (32768-60999 here), where an outgoing connection could
 * take a port a test is about to listen on: role ports below it (freePortBase), agents' dynamic ports above it.
 * The start of `agents` port ranges (1000 each, as `galaxy up --ports-from` lays them out) whose first ports are free.
 */
export async function freeAgentPorts(agents = 3): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const from = 61000 + Math.floor(Math.random() * 15) * 100;
    let ok = true;
    for (let a = 0; a < agents && ok; a++) for (let i = 0; i < 30 && ok; i++) ok = await portFree(from + a * 1000 + i);
    if (ok) return from;
  }
  throw new Error("no free port ranges for the agents");
}

/** `galaxy up --agents N [extra]` (the built executable) in the world's dir on free ports, waited until it says it is up. */
export async function startUp(w: World, agents: number, extra: string[] = []): Promise<{ up: ChildProcess; base: number }> {
  requireBinary();
  const base = await freePortBase(20);
  const portsFrom = await freeAgentPorts(agents);
  const up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", String(agents), ...extra, "--port", String(base), "--ports-from", String(portsFrom)]);
  await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
  return { up, base };
}

/** Stops what startUp started the way a user does (Ctrl-C), then the world. */
export async function stopUp(w: World, up: ChildProcess | undefined): Promise<void> {
  if (up) await stopChild(up, "SIGINT", 30_000);
  await w.cleanup();
}

/** A base port with `span` free ports above it on loopback (below the ephemeral range). */
export async function freePortBase(span: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 21000 + Math.floor(Math.random() * 1100) * 10;
    const checks = await Promise.all(Array.from({ length: span }, (_, i) => portFree(base + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error("no free port range found");
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line or environment mentions `needle` (e.g. the temp dir). */
export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8");
      let env = "";
      try {
        env = readFileSync(`/proc/${d}/environ`, "utf8");
      } catch {}
      if ((cmd.includes(needle) || env.includes(needle)) && alive(Number(d))) out.push(Number(d));
    } catch {}
  }
  return out;
}

/** The v1 memory cgroup path of a process ("" when not in a v1 memory hierarchy). */
export function memoryCgroupOf(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n");
  const mem = lines.find((l) => /^\d+:memory:/.test(l));
  return mem ? mem.slice(mem.indexOf(":memory:") + 8) : "";
}

/**
 * A node HTTP server that answers its pod's id on the port named http, in a world-readable temp dir of its own (tasks
 * run as a user of their own and see nothing of a test's private dir). Returns the script's path; remove its dir after.
 */
export function podIdServer(): string {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-e2e-pub-"));
  chmodSync(dir, 0o755);
  const script = join(dir, "server.js");
  writeFileSync(script, 'require("http").createServer((q, s) => s.end(process.env.GALAXY_POD_ID + "\\n")).listen(+process.env.GALAXY_PORT_HTTP);\n');
  return script;
}

/** What `address` (host:port) answers over HTTP within 2 s, trimmed; "" when nothing does. */
export async function askHttp(address: string): Promise<string> {
  try {
    const r = await fetch(`http://${address}/`, { signal: AbortSignal.timeout(2000) });
    return (await r.text()).trim();
  } catch {
    return "";
  }
}

export async function httpGet(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) });
  return r.text();
}

/** What a master must keep across a failover, as the CLI lists it: jobs, users and grants, pools, labels, a quota. */
export function hardState(w: World, quotaUser: string) {
  return {
    jobs: w.json(["jobs"]).map((j: { id: string; name: string; state: string }) => [j.id, j.name, j.state]),
    users: w.json(["users"]),
    pools: w.json(["pools"]).map((p: { name: string }) => p.name),
    labels: w.json(["labels"]),
    quota: w.json(["quota", quotaUser]).quota,
  };
}

/** The worker itself (`galaxy appworker`) of a pod, not the shell that launched it. */
export function workerOf(podId: string): number {
  const isWorker = (pid: number, host: boolean) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return argv[0]!.endsWith("galaxy") && argv[1] === "appworker" && (argv[2] === "--host") === host;
    } catch {
      return false;
    }
  };
  // its own worker; with GALAXY_HOST_WORKER=1, the host worker that serves it (and its agent's other pods): the parent
  // of the launcher (nsenter) of its task
  const mine = processesMentioning(`GALAXY_POD_ID=${podId}`);
  const parentOf = (pid: number) => {
    try {
      return Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      return 0; // gone meanwhile
    }
  };
  return mine.find((pid) => isWorker(pid, false)) ?? mine.map(parentOf).find((pid) => isWorker(pid, true)) ?? 0;
}
