// The launch scripts, read and run for real: the wrapper alone (any user); with mount+uts+pid namespaces (root) an
// init that holds them, and workers entered into them: hidden neighbours and agent state, a bound volume, a /proc of
// its own, SIGTERM forwarded, the exit status recorded, and a second worker beside the tasks the first one left.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, signal, waitFor } from "../sys/proc.ts";
import { EXIT_SETUP_FAILED } from "./core.ts";
import {
  INIT_READY_FILE, type MountPlan, type Namespace, WORKER_EXIT_FILE, coverOf, enterCommand, isolationOf, initCommand, initScript, nsenterFlags, parseNamespaces,
  plainCommand, resolveNamespaces, unshareFlags,
} from "./launch.ts";

const root = mkdtempSync(join(tmpdir(), "galaxy-launch-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

function workspace(name: string): string {
  const ws = join(root, name, "containers", "c1");
  mkdirSync(join(ws, ".galaxy"), { recursive: true });
  return ws;
}

const baseEnv = () => ({ PATH: process.env.PATH!, GALAXY_CGROUP_PROCS: "" });

/** Runs a launch; resolves with its exit code and the status the wrapper recorded. */
async function run(argv: string[], env: Record<string, string>, cwd: string, onStart?: (pid: number) => Promise<void>) {
  const p = Bun.spawn(argv, { cwd, env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  if (onStart) await onStart(p.pid);
  const code = await p.exited;
  const recorded = readFileSync(join(cwd, WORKER_EXIT_FILE), "utf8").trim();
  return { code, recorded, stderr: await new Response(p.stderr).text() };
}

const children = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

describe("namespaces", () => {
  test("parse: a list, none, or nothing; mount is implied by the others", () => {
    expect(parseNamespaces("pid")).toEqual(["mount", "pid"]);
    expect(parseNamespaces("uts, mount,pid")).toEqual(["mount", "uts", "pid"]);
    expect(parseNamespaces("none")).toEqual([]);
    expect(() => parseNamespaces("net")).toThrow(/want some of mount, uts, pid/);
  });

  test("resolve: the default is mount+uts+pid; none without root, cgroups, unshare or nsenter, saying why", () => {
    const ok = { root: true, isolation: "cgroup-v1", hasUnshare: true, hasNsenter: true };
    expect(resolveNamespaces("auto", ok)).toEqual({ namespaces: ["mount", "uts", "pid"], note: "namespaces mount, uts, pid" });
    expect(resolveNamespaces(["mount", "uts"], ok).namespaces).toEqual(["mount", "uts"]);
    expect(resolveNamespaces([], ok)).toEqual({ namespaces: [], note: "no namespaces (as asked)" });
    expect(resolveNamespaces("auto", { ...ok, root: false }).note).toBe("no namespaces (not root)");
    expect(resolveNamespaces("auto", { ...ok, isolation: "none" }).note).toBe("no namespaces (isolation none)");
    expect(resolveNamespaces("auto", { ...ok, hasUnshare: false }).note).toBe("no namespaces (no unshare(1) on PATH)");
    expect(resolveNamespaces("auto", { ...ok, hasNsenter: false })).toEqual({ namespaces: [], note: "no namespaces (no nsenter(1) on PATH)" });
  });
});

describe("what AgentInfo.isolation says", () => {
  test("the driver alone when tasks run unprivileged in every namespace; else what is degraded", () => {
    const all = ["mount", "uts", "pid"] as Namespace[];
    expect(isolationOf("cgroup-v1", { root: true, hasSetpriv: true, namespaces: all })).toBe("cgroup-v1");
    expect(isolationOf("cgroup-v1", { root: true, hasSetpriv: false, namespaces: all })).toBe("cgroup-v1; tasks run as root (no setpriv(1) on PATH)");
    expect(isolationOf("none", { root: false, hasSetpriv: true, namespaces: [] })).toBe(
      "none; tasks run as the agent's user (not root); no mount namespace: Galaxy's files are guarded by permissions only; no pid namespace: tasks see the host's processes",
    );
    expect(isolationOf("cgroup-v2", { root: true, hasSetpriv: true, namespaces: ["mount"] })).toBe("cgroup-v2; no pid namespace: tasks see the host's processes");
  });
});

describe("the builders", () => {
  const plan: MountPlan = { workspace: "/d/containers/c1", stage: "/d/stage", binds: [], cover: "/d", keep: [], hide: ["/c"], detach: [] };

  test("the cover is the highest of the workspace's ancestors that is Galaxy's or closed to others", () => {
    const open = (d: string) => d !== "/home/u";
    expect(coverOf("/var/g/agent-0/containers/c1", ["/var/g/agent-0", "/var/g"], open)).toBe("/var/g");
    expect(coverOf("/var/g/agent-0/containers/c1", ["/var/g/agent-0"], open)).toBe("/var/g/agent-0");
    expect(coverOf("/home/u/g/a/containers/c1", ["/home/u/g/a"], open)).toBe("/home/u");
    expect(() => coverOf("/x/containers/c1", ["/y"], () => true)).toThrow("is not under the data dir");
  });

  test("the init covers the cover with a skeleton holding the workspace and what the worker keeps, hides the rest", () => {
    const s = initScript({ ...plan, keep: ["/d/bin/galaxy"], detach: ["/d/volumes/c2/0"] }).split("\n");
    const at = (prefix: string) => s.findIndex((l) => l.startsWith(prefix));
    expect(s[at("mount -t tmpfs")]).toBe(`mount -t tmpfs -o size=64k,mode=755 galaxy-hidden '/d/stage' || fail "cannot make the skeleton"`);
    expect(s[at("mkdir -p '/d/stage/")]).toBe(`mkdir -p '/d/stage/containers/c1' && mount --rbind '/d/containers/c1' '/d/stage/containers/c1' || fail "cannot stage the workspace"`);
    expect(s.find((l) => l.includes("/d/bin/galaxy"))).toContain(`mount --bind '/d/bin/galaxy' '/d/stage/bin/galaxy' && mount -o remount,bind,ro '/d/stage/bin/galaxy'`);
    expect(at("umount -l '/d/volumes/c2/0'")).toBeGreaterThan(at("mkdir -p '/d/stage/"));
    expect(s).toContain(`mount -t tmpfs -o size=64k,mode=755 galaxy-hidden '/c' || fail 'cannot hide /c'`);
    expect(at("mount --rbind '/d/stage' '/d'")).toBeGreaterThan(at("mount -t tmpfs -o size=64k,mode=755 galaxy-hidden '/c'"));
    expect(at("cd '/d/containers/c1'")).toBe(at("mount --rbind '/d/stage' '/d'") + 1);
  });

  test("unshare makes the namespaces asked (mount always); a pid namespace forks, mounts its /proc, dies with unshare", () => {
    expect(unshareFlags(["mount"])).toEqual(["--mount"]);
    expect(unshareFlags(["mount", "uts", "pid"])).toEqual(["--mount", "--uts", "--pid", "--fork", "--mount-proc", "--kill-child"]);
  });

  test("nsenter enters the init's namespaces, only those it has; a pid that cannot be an init is refused", () => {
    expect(nsenterFlags(["mount", "uts", "pid"], 812)).toEqual(["-t", "812", "-m", "-u", "-p"]);
    expect(nsenterFlags(["mount", "pid"], 812)).toEqual(["-t", "812", "-m", "-p"]);
    expect(nsenterFlags(["mount"], 812)).toEqual(["-t", "812", "-m"]);
    for (const bad of [0, 1, -5, 2.5, Number.NaN]) expect(() => nsenterFlags(["mount"], bad)).toThrow(/bad init pid/);
  });

  test("the init joins the cgroup, unshares, mounts, says it is ready and holds; it runs no worker", () => {
    const l = initCommand(["mount", "uts", "pid"], plan);
    expect(l.argv).toEqual(["/bin/sh", "-c", 'eval "$GALAXY_LAUNCH"', "galaxy-container"]);
    const [join, enter] = l.env.GALAXY_LAUNCH!.split("\n");
    expect(join).toStartWith("for f in $GALAXY_CGROUP_PROCS;");
    expect(enter).toBe(`exec unshare --mount --uts --pid --fork --mount-proc --kill-child /bin/sh -c 'eval "$GALAXY_INIT"' galaxy-init`);
    const init = l.env.GALAXY_INIT!.split("\n");
    expect(init.indexOf(`: > ${INIT_READY_FILE}`)).toBeGreaterThan(init.indexOf("cd '/d/containers/c1' || fail \"cannot enter the workspace\""));
    expect(init.at(-1)).toBe("while :; do sleep 2147483647 & wait; done");
    expect(l.env.GALAXY_INIT).not.toContain('"$@"');
  });

  test("a worker joins the cgroup, enters the init's namespaces (with the host's /proc on fd 9 for a pid one), cds, runs", () => {
    const l = enterCommand(["mount", "uts", "pid"], 812, "/d/it's", ["galaxy", "appworker"]);
    expect(l.argv).toEqual(["/bin/sh", "-c", 'eval "$GALAXY_LAUNCH"', "galaxy-container", "galaxy", "appworker"]);
    expect(l.env.GALAXY_LAUNCH!.split("\n").slice(1)).toEqual([
      "exec 9</proc", "exec 7</", `exec nsenter -t 812 -m -u -p -- /bin/sh -c 'eval "$GALAXY_ENTER"' galaxy-worker "$@"`,
    ]);
    expect(l.env.GALAXY_ENTER!.split("\n")[0]).toStartWith(`cd '/d/it'\\''s' || {`);
    expect(l.env.GALAXY_ENTER).toContain(`unset GALAXY_LAUNCH GALAXY_INIT GALAXY_ENTER`);
    expect(enterCommand(["mount"], 812, "/d", ["w"]).env.GALAXY_LAUNCH).not.toContain("9</proc");
    expect(enterCommand(["mount"], 812, "/d", ["w"], "/c d").env.GALAXY_LAUNCH!.split("\n")[1]).toBe("exec 8<'/c d'");
    expect(enterCommand(["mount"], 812, "/d", ["w"]).env.GALAXY_LAUNCH).not.toContain("exec 8<");
  });
});

describe("the wrapper (no namespaces)", () => {
  test("joins the cgroup files, runs the worker, records and returns its exit status", async () => {
    const ws = workspace("plain");
    const l = plainCommand(["/bin/sh", "-c", "echo $0 $1 > out; exit 3", "a", "b"]);
    expect(l.argv.slice(0, 3)).toEqual(["/bin/sh", "-c", 'eval "$GALAXY_LAUNCH"']);
    const r = await run(l.argv, l.env, ws);
    expect([r.code, r.recorded, readFileSync(join(ws, "out"), "utf8")]).toEqual([3, "3", "a b\n"]);
  });

  test("forwards SIGTERM to the worker and keeps the launch scripts out of its environment", async () => {
    const ws = workspace("term");
    const l = plainCommand(["/bin/sh", "-c", 'env > env.txt; trap "kill \\$s; exit 7" TERM; touch up; sleep 100 & s=$!; wait']);
    const r = await run(l.argv, l.env, ws, async (pid) => {
      await waitFor(() => existsSync(join(ws, "up")), 5000);
      process.kill(pid, "SIGTERM");
    });
    expect([r.code, r.recorded]).toEqual([7, "7"]);
    expect(readFileSync(join(ws, "env.txt"), "utf8")).not.toContain("GALAXY_LAUNCH");
  });
});


describe.skipIf(!isRoot)("mount, uts and pid namespaces (root)", () => {
  const data = join(root, "ns");
  const ws = workspace("ns");
  const vol = join(data, "volumes", "c1", "0");
  const target = join(root, "mnt-data");
  const cluster = join(root, "cluster");
  for (const d of [join(data, "stage"), join(data, "state"), vol, join(data, "containers", "c2"), target, cluster]) mkdirSync(d, { recursive: true });
  writeFileSync(join(data, "state", "secret"), "agent state");
  writeFileSync(join(cluster, "secret"), "the cluster secret");
  writeFileSync(join(vol, "v.txt"), "volume data");
  const plan: MountPlan = {
    workspace: ws, stage: join(data, "stage"), binds: [{ source: vol, target, readonly: true }],
    cover: data, keep: [], hide: [cluster], detach: [],
  };
  const probe = [
    `echo "pids=$(ls /proc | grep -cE '^[0-9]+$') me=$$"`,
    `echo "neighbours=$(ls ${join(data, "containers")} | tr '\\n' ' ')"`,
    `echo "state=$(ls ${join(data, "state")} 2>/dev/null | wc -l)"`,
    `echo "cluster=$(ls ${cluster} | wc -l)"`,
    `echo "volume=$(cat ${target}/v.txt)"`,
    `touch ${target}/w 2>/dev/null && echo writable || echo read-only`,
    `echo "fd=$(ls $GALAXY_HOST_PROC_DIR >/dev/null 2>&1 && echo host-proc)"`,
  ].join("; ");

  /** Starts an init; resolves once it is ready, with unshare (the spawned process) and the init's host pid. */
  async function startInit(ns: Namespace[]) {
    rmSync(join(ws, INIT_READY_FILE), { force: true });
    const l = initCommand(ns, plan);
    const p = Bun.spawn(l.argv, { cwd: ws, env: { ...baseEnv(), ...l.env }, stdio: ["ignore", "ignore", "ignore"] });
    expect(await waitFor(() => existsSync(join(ws, INIT_READY_FILE)), 5000)).toBe(true);
    const init = ns.includes("pid") ? children(p.pid)[0]! : p.pid;
    const stop = async () => {
      const held = children(init); // the init's sleep (outlives it without a pid namespace)
      p.kill("SIGKILL"); // with a pid namespace --kill-child takes the init, and so every process of the namespace
      await p.exited;
      for (const c of held) signal(c, "SIGKILL");
      expect(await waitFor(() => !isAlive(init) && held.every((c) => !isAlive(c)), 5000)).toBe(true);
    };
    return { init, stop };
  }

  test("the worker sees its own /proc, its workspace and volume, not its neighbours or the agent's state", async () => {
    const { init, stop } = await startInit(["mount", "uts", "pid"]);
    try {
      expect(readFileSync(`/proc/${init}/status`, "utf8")).toMatch(/^NSpid:\s+\d+\s+1$/m); // pid 1 of its namespace
      const l = enterCommand(["mount", "uts", "pid"], init, ws, ["/bin/sh", "-c", `(${probe}) > seen.txt; exit 5`]);
      const r = await run(l.argv, { ...l.env, GALAXY_HOST_PROC_DIR: "/proc/self/fd/9" }, ws);
      expect([r.code, r.recorded, r.stderr]).toEqual([5, "5", ""]);
      const text = readFileSync(join(ws, "seen.txt"), "utf8");
      const seen = Object.fromEntries(text.trim().split("\n").map((l) => l.split("=")) as [string, string][]);
      const [, count, me] = /^pids=(\d+) me=(\d+)$/m.exec(text)!.map(Number);
      expect(count).toBeLessThan(9); // init and its sleep, the wrapper, the worker's shell and its pipeline: no host process
      expect(me).toBeLessThan(50); // a pid of the new namespace (the mounts before it took a few), not a host pid
      expect(seen.neighbours!.trim()).toBe("c1");
      expect(seen.state).toBe("0");
      expect(seen.cluster).toBe("0");
      expect(seen.volume).toBe("volume data");
      expect(text).toContain("read-only");
      expect(seen.fd).toBe("host-proc");
    } finally {
      await stop();
    }
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(root); // nothing leaked to the host
  });

  test("a second worker runs beside what the first one left (same pids, hostname); the init reaps the orphans", async () => {
    const { init, stop } = await startInit(["mount", "uts", "pid"]);
    try {
      const first = enterCommand(["mount", "uts", "pid"], init, ws, ["/bin/sh", "-c", "hostname galaxy-c1; sleep 1000 >/dev/null 2>&1 & echo $! > task.pid; exit 3"]);
      expect(await run(first.argv, first.env, ws)).toMatchObject({ code: 3, recorded: "3" });
      const task = Number(readFileSync(join(ws, "task.pid"), "utf8")); // a pid of the namespace: the first worker's task
      const second = enterCommand(["mount", "uts", "pid"], init, ws, ["/bin/sh", "-c", `echo "$(cat /proc/${task}/comm) $(hostname)" > seen.txt; kill ${task}`]);
      expect(await run(second.argv, second.env, ws)).toMatchObject({ code: 0, recorded: "0" });
      expect(readFileSync(join(ws, "seen.txt"), "utf8")).toBe("sleep galaxy-c1\n");
      expect(readFileSync("/proc/sys/kernel/hostname", "utf8")).not.toContain("galaxy-c1");
      // the orphaned task was the init's child once killed: reaped, so only the init's own sleep is left
      const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]![0];
      expect(await waitFor(() => children(init).length === 1, 5000)).toBe(true);
      expect(state(children(init)[0]!)).toBe("S");
      expect(isAlive(init)).toBe(true); // the workers came and went; the namespaces stay
    } finally {
      await stop();
    }
  });

  test("SIGTERM to nsenter's child (the wrapper) reaches the worker", async () => {
    const { init, stop } = await startInit(["mount", "pid"]);
    try {
      rmSync(join(ws, "up"), { force: true });
      const l = enterCommand(["mount", "pid"], init, ws, ["/bin/sh", "-c", 'trap "exit 9" TERM; touch up; sleep 100 >/dev/null 2>&1 & wait']);
      const r = await run(l.argv, l.env, ws, async (pid) => {
        await waitFor(() => existsSync(join(ws, "up")), 5000);
        process.kill(children(pid)[0]!, "SIGTERM");
      });
      expect([r.code, r.recorded]).toEqual([9, "9"]);
    } finally {
      await stop();
    }
  });

  test("without a pid namespace the init is unshare itself; a worker enters its mounts", async () => {
    const { init, stop } = await startInit(["mount"]);
    try {
      const l = enterCommand(["mount"], init, ws, ["/bin/sh", "-c", `ls ${join(data, "state")} 2>/dev/null | wc -l > seen.txt`]);
      expect(await run(l.argv, l.env, ws)).toMatchObject({ code: 0, recorded: "0" });
      expect(readFileSync(join(ws, "seen.txt"), "utf8").trim()).toBe("0");
    } finally {
      await stop();
    }
  });

  test("a mount that fails ends the init with EXIT_SETUP_FAILED, says which, and never says ready", async () => {
    rmSync(join(ws, INIT_READY_FILE), { force: true });
    const bad = { ...plan, binds: [{ source: join(root, "missing"), target, readonly: false }] };
    const l = initCommand(["mount", "pid"], bad);
    const p = Bun.spawn(l.argv, { cwd: ws, env: { ...baseEnv(), ...l.env }, stdio: ["ignore", "ignore", "pipe"] });
    expect(await p.exited).toBe(EXIT_SETUP_FAILED);
    expect(await new Response(p.stderr).text()).toContain(`galaxy-init: cannot bind ${join(root, "missing")} at ${target}`);
    expect(existsSync(join(ws, INIT_READY_FILE))).toBe(false);
  });

  test("the init script quotes every path", () => {
    const s = initScript({ ...plan, workspace: "/a b/it's" });
    expect(s).toContain(`'/a b/it'\\''s'`);
  });
});
