// containerd + runc as a peer of `galaxy bench host`: a containerd of our own (its --config names a root, state and
// socket under a temp dir; the CRI plugin off), driven with `ctr run -d --rootfs DIR` on a minimal rootfs (sleep
// and sh with their libraries, from ldd) in a namespace of its own: no image registry, nothing of the host's touched.
// The services are S containers of `sleep 100000`, the batch B containers of `sleep 1` (ctr has no job: they are
// started 4 at a time), polled with `ctr task ls`. Containers, their cgroups, the daemon and the dir go, even on failure.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { chargedPerPod } from "./host.ts";
import { hostSnapshot, type ProcSample } from "./host-procs.ts";
import { run, spawn, stopProc, tail, until, waitGone } from "./peer-proc.ts";
import { peerOverhead, type Peer, type PeerFigures, type PeerOptions, type PeerPhase } from "./peers.ts";
import { onInterrupt } from "./procs.ts";
import { round } from "./stats.ts";

/** containerd's config: everything under `dir`, no CRI, no debug or metrics listener. */
export function containerdConfig(dir: string): string {
  return [
    "version = 2",
    `root = "${join(dir, "root")}"`,
    `state = "${join(dir, "state")}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    "[grpc]",
    `  address = "${join(dir, "containerd.sock")}"`,
    "[ttrpc]",
    `  address = "${join(dir, "containerd.sock.ttrpc")}"`,
    "[debug]",
    '  address = ""',
    "[metrics]",
    '  address = ""',
    "",
  ].join("\n");
}

/** The files an `ldd` output names (the vdso has no file). */
export function lddPaths(out: string): string[] {
  const paths: string[] = [];
  for (const line of out.split("\n")) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) paths.push(m[1]!);
  }
  return paths;
}

/** `ctr task ls` output -> id -> status. */
export function parseTasks(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split("\n").slice(1)) {
    const [id, , status] = line.trim().split(/\s+/);
    if (id && status) m.set(id, status);
  }
  return m;
}

/** Of the tasks named `prefix-N`: how many have `status`, and a note of all. */
export function countTasks(tasks: Map<string, string>, prefix: string, status: string): { count: number; note: string } {
  const tally = new Map<string, number>();
  for (const [id, s] of tasks) if (id.startsWith(`${prefix}-`)) tally.set(s, (tally.get(s) ?? 0) + 1);
  return { count: tally.get(status) ?? 0, note: [...tally].map(([s, k]) => `${k} ${s.toLowerCase()}`).join(", ") || "none listed" };
}

export const containerdPeer: Peer = { id: "containerd", name: "containerd + runc", tool: "ctr", install: "apt-get install -y containerd", run: runContainerd };

const isTask = (c: string) => /(^|\/)sleep 100000$/.test(c);

async function runContainerd(o: PeerOptions): Promise<PeerFigures> {
  const d = await startContainerd();
  const off = onInterrupt(() => d.stop());
  try {
    const figures: PeerFigures = { services: null, idle: null, batch: null };
    if (o.services > 0) {
      o.log(`peer containerd: ${o.services} idle containers`);
      figures.services = await d.phase("svc", o.services, ["/bin/sleep", "100000"], "RUNNING", o.log);
      if (figures.services.done) {
        o.log(`peer containerd: idle: measuring ${o.idleSeconds} s`);
        const before = hostSnapshot();
        await Bun.sleep(o.idleSeconds * 1000);
        const after = hostSnapshot();
        const c = peerOverhead(before, after, { perContainer: d.isShim, task: (p) => isTask(p.cmdline), hostPids: [d.pid] }, o.idleSeconds);
        figures.idle = { ...c, chargedPerPod: chargedPerPod(after, isTask), seconds: o.idleSeconds };
      }
      await d.removeAll();
    }
    if (o.batch > 0) {
      o.log(`peer containerd: ${o.batch} one-second containers`);
      figures.batch = await d.phase("batch", o.batch, ["/bin/sleep", "1"], "STOPPED", o.log);
    }
    return figures;
  } finally {
    off();
    await d.stop();
  }
}

/** A minimal rootfs: /bin/sleep and /bin/sh with the libraries ldd names. */
async function buildRootfs(rootfs: string): Promise<void> {
  for (const d of ["bin", "proc", "dev", "sys", "tmp", "etc"]) mkdirSync(join(rootfs, d), { recursive: true });
  for (const bin of ["/bin/sleep", "/bin/sh"]) {
    copyFileSync(bin, join(rootfs, bin));
    for (const lib of lddPaths(await run(["ldd", bin], process.env, rootfs))) {
      mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
      copyFileSync(lib, join(rootfs, lib));
    }
  }
}

async function startContainerd() {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-bench-containerd-"));
  const ns = `galaxy-bench-${randomBytes(3).toString("hex")}`;
  const sock = join(dir, "containerd.sock");
  const rootfs = join(dir, "rootfs");
  const ctr = (...args: string[]) => run(["ctr", "--address", sock, "--namespace", ns, ...args], process.env, dir);
  let created: string[] = [];
  const isShim = (p: ProcSample) => p.cmdline.includes("containerd-shim-runc-v2") && p.cmdline.includes(` -address ${sock}`);
  const shimPids = new Set<number>();
  /** Our shims: those seen with our socket in their command line (an exiting one has none any more), still alive. */
  const shims = () => {
    for (const p of hostSnapshot()) if (isShim(p)) shimPids.add(p.pid);
    return [...shimPids].filter((pid) => tail(`/proc/${pid}/comm`).startsWith("containerd-shim"));
  };
  const remove = async (ids: string[]) => {
    shims(); // their pids, while their command lines still name our socket
    await pool(ids, 4, async (id) => {
      await ctr("task", "delete", "-f", id).catch(() => "");
      await ctr("container", "rm", id).catch(() => "");
    });
    created = created.filter((id) => !ids.includes(id));
  };
  let daemon: ReturnType<typeof spawn> | null = null;
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= stopAll());
  const stopAll = async () => {
    shims();
    if (daemon) await remove([...created]);
    if (daemon) await stopProc(daemon);
    await waitGone(shims, 10_000);
    for (const ctl of safeList("/sys/fs/cgroup")) {
      try {
        rmdirSync(join("/sys/fs/cgroup", ctl, ns));
      } catch {
        /* not created in this hierarchy, or already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await buildRootfs(rootfs);
    writeFileSync(join(dir, "config.toml"), containerdConfig(dir));
    daemon = spawn(["containerd", "--config", join(dir, "config.toml")], process.env, dir);
    await until("containerd to answer", async () => daemon!.exitCode !== null || (existsSync(sock) && (await ctr("version").then(() => true, () => false))), 20_000, () => tail(join(dir, "containerd.stderr")));
    if (daemon.exitCode !== null) throw new Error(`containerd exited ${daemon.exitCode}: ${tail(join(dir, "containerd.stderr"))}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: daemon.pid,
    isShim,
    stop,
    removeAll: () => remove([...created]),
    async phase(prefix: string, n: number, args: string[], status: "RUNNING" | "STOPPED", log: (m: string) => void): Promise<PeerPhase> {
      const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
      const t0 = performance.now();
      await pool(ids, 4, async (id) => {
        created.push(id);
        await ctr("run", "-d", "--rootfs", rootfs, id, ...args);
      });
      const deadline = Date.now() + 600_000;
      let st = { count: 0, note: "" };
      let lastLog = performance.now();
      while (Date.now() < deadline) {
        st = countTasks(parseTasks(await ctr("task", "ls")), prefix, status);
        if (st.count >= n) break;
        if (performance.now() - lastLog > 5000) (lastLog = performance.now()), log(`  peer containerd ${((performance.now() - t0) / 1000).toFixed(0)} s: ${st.note}`);
        await Bun.sleep(100);
      }
      return { pods: n, seconds: round((performance.now() - t0) / 1000, 2), done: st.count >= n, note: st.note };
    },
  };
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
