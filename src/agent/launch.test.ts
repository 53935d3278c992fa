// The launch scripts, read and run for real: the wrapper alone (any user), and with mount+uts+pid namespaces (root):
// hidden neighbours and agent state, a bound volume, a /proc of its own, SIGTERM forwarded, the exit status recorded.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, waitFor } from "../sys/proc.ts";
import { EXIT_SETUP_FAILED } from "./core.ts";
import { type MountPlan, WORKER_EXIT_FILE, initScript, launchCommand, parseNamespaces, resolveNamespaces } from "./launch.ts";

const root = mkdtempSync(join(tmpdir(), "galaxy-launch-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

function workspace(name: string): string {
  const ws = join(root, name, "containers", "c1");
  mkdirSync(join(ws, ".galaxy"), { recursive: true });
  return ws;
}

/** Runs a launch; resolves with its exit code and the status the wrapper recorded. */
async function run(argv: string[], env: Record<string, string>, cwd: string, onStart?: (pid: number) => Promise<void>) {
  const p = Bun.spawn(argv, { cwd, env: { PATH: process.env.PATH!, GALAXY_CGROUP_PROCS: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  if (onStart) await onStart(p.pid);
  const code = await p.exited;
  const recorded = readFileSync(join(cwd, WORKER_EXIT_FILE), "utf8").trim();
  return { code, recorded, stderr: await new Response(p.stderr).text() };
}

describe("namespaces", () => {
  test("parse: a list, none, or nothing; mount is implied by the others", () => {
    expect(parseNamespaces("pid")).toEqual(["mount", "pid"]);
    expect(parseNamespaces("uts, mount,pid")).toEqual(["mount", "uts", "pid"]);
    expect(parseNamespaces("none")).toEqual([]);
    expect(() => parseNamespaces("net")).toThrow(/want some of mount, uts, pid/);
  });

  test("resolve: the default is mount+uts; none without root, cgroups or unshare, saying why", () => {
    const ok = { root: true, isolation: "cgroup-v1", hasUnshare: true };
    expect(resolveNamespaces("auto", ok)).toEqual({ namespaces: ["mount", "uts"], note: "namespaces mount, uts" });
    expect(resolveNamespaces(["mount", "uts", "pid"], ok).namespaces).toEqual(["mount", "uts", "pid"]);
    expect(resolveNamespaces("auto", { ...ok, root: false }).note).toBe("no namespaces (not root)");
    expect(resolveNamespaces("auto", { ...ok, isolation: "none" }).note).toBe("no namespaces (isolation none)");
    expect(resolveNamespaces("auto", { ...ok, hasUnshare: false }).note).toBe("no namespaces (no unshare(1) on PATH)");
  });
});

describe("the wrapper (no namespaces)", () => {
  test("joins the cgroup files, runs the worker, records and returns its exit status", async () => {
    const ws = workspace("plain");
    const l = launchCommand([], null, ["/bin/sh", "-c", "echo $0 $1 > out; exit 3", "a", "b"]);
    expect(l.argv.slice(0, 3)).toEqual(["/bin/sh", "-c", 'eval "$GALAXY_LAUNCH"']);
    const r = await run(l.argv, l.env, ws);
    expect([r.code, r.recorded, readFileSync(join(ws, "out"), "utf8")]).toEqual([3, "3", "a b\n"]);
  });

  test("forwards SIGTERM to the worker and keeps the launch scripts out of its environment", async () => {
    const ws = workspace("term");
    const l = launchCommand([], null, ["/bin/sh", "-c", 'env > env.txt; trap "kill \\$s; exit 7" TERM; touch up; sleep 100 & s=$!; wait']);
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
  for (const d of [join(data, "stage"), join(data, "state"), vol, join(data, "containers", "c2"), target]) mkdirSync(d, { recursive: true });
  writeFileSync(join(data, "state", "secret"), "agent state");
  writeFileSync(join(vol, "v.txt"), "volume data");
  const plan: MountPlan = {
    workspace: ws, stage: join(data, "stage"), binds: [{ source: vol, target, readonly: true }],
    hide: [join(data, "containers"), join(data, "state"), join(data, "volumes")], hideFiles: [], detach: [],
  };
  const probe = [
    `echo "pids=$(ls /proc | grep -cE '^[0-9]+$') me=$$"`,
    `echo "neighbours=$(ls ${join(data, "containers")} | tr '\\n' ' ')"`,
    `echo "state=$(ls ${join(data, "state")} | wc -l)"`,
    `echo "volume=$(cat ${target}/v.txt)"`,
    `touch ${target}/w 2>/dev/null && echo writable || echo read-only`,
    `echo "fd=$(ls $GALAXY_HOST_PROC_DIR >/dev/null 2>&1 && echo host-proc)"`,
  ].join("; ");

  test("the worker sees its own /proc, its workspace and volume, not its neighbours or the agent's state", async () => {
    const l = launchCommand(["mount", "uts", "pid"], plan, ["/bin/sh", "-c", `(${probe}) > seen.txt; exit 5`]);
    const r = await run(l.argv, { ...l.env, GALAXY_HOST_PROC_DIR: "/proc/self/fd/9" }, ws);
    expect([r.code, r.recorded, r.stderr]).toEqual([5, "5", ""]);
    const seen = Object.fromEntries(readFileSync(join(ws, "seen.txt"), "utf8").trim().split("\n").map((l) => l.split("=")) as [string, string][]);
    const [, count, me] = /^pids=(\d+) me=(\d+)$/m.exec(readFileSync(join(ws, "seen.txt"), "utf8"))!.map(Number);
    expect(count).toBeLessThan(8); // init, the worker's shell and its pipeline: no host process
    expect(me).toBeLessThan(50); // a pid of the new namespace (the mounts before it took a few), not a host pid
    expect(seen.neighbours!.trim()).toBe("c1");
    expect(seen.state).toBe("0");
    expect(seen.volume).toBe("volume data");
    expect(readFileSync(join(ws, "seen.txt"), "utf8")).toContain("read-only");
    expect(seen.fd).toBe("host-proc");
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(root); // nothing leaked to the host
  });

  test("SIGTERM to galaxy-init (unshare's child) reaches the worker", async () => {
    const l = launchCommand(["mount", "pid"], plan, ["/bin/sh", "-c", 'trap "exit 9" TERM; touch up; sleep 100 & wait']);
    const r = await run(l.argv, l.env, ws, async (pid) => {
      await waitFor(() => existsSync(join(ws, "up")), 5000);
      const init = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ")[0]);
      expect(isAlive(init)).toBe(true);
      process.kill(init, "SIGTERM");
    });
    expect([r.code, r.recorded]).toEqual([9, "9"]);
  });

  test("a mount that fails ends the launch with EXIT_SETUP_FAILED and says which", async () => {
    const bad = { ...plan, binds: [{ source: join(root, "missing"), target, readonly: false }] };
    const l = launchCommand(["mount"], bad, ["/bin/true"]);
    const p = Bun.spawn(l.argv, { cwd: ws, env: { PATH: process.env.PATH!, GALAXY_CGROUP_PROCS: "", ...l.env }, stdio: ["ignore", "ignore", "pipe"] });
    expect(await p.exited).toBe(EXIT_SETUP_FAILED);
    expect(await new Response(p.stderr).text()).toContain(`galaxy-init: cannot bind ${join(root, "missing")} at ${target}`);
  });

  test("the init script quotes every path", () => {
    const s = initScript({ ...plan, workspace: "/a b/it's" });
    expect(s).toContain(`'/a b/it'\\''s'`);
  });
});
