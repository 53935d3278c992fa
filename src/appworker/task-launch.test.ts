import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchArgv, setprivArgs, taskArgv, taskEnvOf, taskIdentityFrom, type TaskIdentity } from "./task-launch.ts";

const isRoot = process.getuid?.() === 0;
const hasSetpriv = Bun.which("setpriv") !== null;
const id: TaskIdentity = { uid: 100123, gid: 100123, procs: ["/sys/fs/cgroup/memory/galaxy/a/c.0/cgroup.procs"], drop: true };

describe("task launch (pure)", () => {
  test("setpriv drops to the task's uid and gid, clears groups and every capability set, sets no_new_privs", () => {
    expect(setprivArgs(100123, 100124)).toEqual([
      "setpriv", "--reuid=100123", "--regid=100124", "--clear-groups",
      "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
    ]);
    expect(() => setprivArgs(0, 100)).toThrow("bad task identity 0:100");
  });

  test("the launch closes the worker's fds, joins the tasks' cgroup, then execs setpriv with the command", () => {
    const argv = taskArgv("echo hi", id);
    expect(argv.slice(3)).toEqual(["galaxy-task", "/bin/sh", "-c", "echo hi"]);
    expect(argv.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    const lines = argv[2]!.split("\n");
    expect(lines[0]).toBe("exec 7<&- 8<&- 9<&-");
    expect(lines[1]).toBe("echo $$ > '/sys/fs/cgroup/memory/galaxy/a/c.0/cgroup.procs' || exit 97");
    expect(lines.at(-1)).toBe(`exec ${setprivArgs(100123, 100123).join(" ")} "$@"`);
  });

  test("without the right to drop privileges: no setpriv; without procs files: no cgroup join", () => {
    const script = launchArgv(["tar", "-x"], { ...id, drop: false, procs: [] })[2]!;
    expect(script).not.toContain("setpriv");
    expect(script).not.toContain("cgroup.procs");
    expect(script.split("\n").at(-1)).toBe(`exec "$@"`);
    expect(launchArgv(["tar"], null)[2]).toBe(script);
  });

  test("the identity from the worker's environment", () => {
    expect(taskIdentityFrom({ GALAXY_TASK_UID: "100001", GALAXY_TASK_GID: "100001", GALAXY_TASK_PROCS: "/a /b", GALAXY_TASK_DROP: "1" }))
      .toEqual({ uid: 100001, gid: 100001, procs: ["/a", "/b"], drop: true });
    expect(taskIdentityFrom({})).toBeNull();
    expect(taskIdentityFrom({ GALAXY_TASK_PROCS: "/a" })).toEqual({ uid: 0, gid: 0, procs: ["/a"], drop: false });
  });

  test("a task's environment has no credential, no private path, and HOME is its workspace", () => {
    const env = taskEnvOf({ GALAXY_POD_TOKEN: "t", GALAXY_HOST_PROC: "/proc/self/fd/9", GALAXY_HOST_ROOT: "/proc/self/fd/7", GALAXY_CLUSTER_DIR: "/c", GALAXY_TASK_UID: "5", FOO: "bar", HOME: "/root" }, "/w", id);
    expect(env).toEqual({ FOO: "bar", HOME: "/w" });
    expect(taskEnvOf({ HOME: "/root" }, "/w", null)).toEqual({ HOME: "/root" });
  });
});

describe.skipIf(!isRoot || !hasSetpriv)("task launch (real, as root)", () => {
  test("the task runs as its uid with no capabilities and no_new_privs, without fd 9, and writes only where it may", () => {
    const dir = mkdtempSync(join(tmpdir(), "galaxy-launch-"));
    chmodSync(dir, 0o1770);
    chownSync(dir, 0, id.gid);
    const fd = openSync("/proc", "r"); // stands for the worker's fd 9
    try {
      const script = "id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; [ -e /proc/self/fd/9 ] && echo fd9 open || echo fd9 closed; echo mine > own && echo wrote own; echo x > /etc/galaxy-launch-test 2>/dev/null || echo etc refused";
      const [sh, ...args] = taskArgv(script, { ...id, procs: [] });
      const r = spawnSync(sh!, args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe", "ignore", "ignore", "ignore", "ignore", "ignore", "ignore", fd] });
      const out = r.stdout;
      expect(out.split("\n")[0]).toBe("100123");
      expect(out).toContain("CapEff:\t0000000000000000");
      expect(out).toContain("CapBnd:\t0000000000000000");
      expect(out).toContain("NoNewPrivs:\t1");
      expect(out).toContain("fd9 closed");
      expect(out).toContain("wrote own");
      expect(out).toContain("etc refused");
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("task launch from outside the container (a host worker)", () => {
  const entry = { initPid: 4242, namespaces: ["mount", "uts", "pid"] };

  test("enters the init's namespaces first, then cds back by path before anything else", () => {
    const argv = launchArgv(["tar", "-x"], { ...id, enter: entry });
    expect(argv.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(argv[2]).toBe(`exec nsenter -t 4242 -m -u -p -- /bin/sh -c "$0" galaxy-task "$PWD" "$@"`);
    const inner = argv[3]!.split("\n");
    expect(inner.slice(0, 3)).toEqual([`cd -- "$1" || exit 97`, "shift", "exec 7<&- 8<&- 9<&-"]);
    expect(inner.at(-1)).toBe(`exec ${setprivArgs(100123, 100123).join(" ")} "$@"`);
    expect(argv.slice(4)).toEqual(["tar", "-x"]);
    expect(() => launchArgv(["x"], { ...id, enter: { initPid: 1, namespaces: [] } })).toThrow("bad init pid 1");
  });

  test.skipIf(!isRoot || !hasSetpriv || !Bun.which("nsenter") || !Bun.which("unshare"))("a real launch: inside the pid namespace, in its directory, as the task's uid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "galaxy-enter-"));
    chmodSync(dir, 0o755);
    const holder = Bun.spawn(["unshare", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child", "sleep", "60"]);
    try {
      let init = 0;
      for (let i = 0; i < 100 && !init; i++) {
        await Bun.sleep(20);
        init = Number(readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, "utf8").trim().split(/\s+/)[0] || 0);
      }
      const [cmd, ...args] = launchArgv(["/bin/sh", "-c", "pwd; echo $$; id -u"], { ...id, procs: [], enter: { initPid: init, namespaces: ["mount", "pid"] } });
      const r = spawnSync(cmd!, args, { cwd: dir, encoding: "utf8" });
      const [pwd, pid, uid] = r.stdout.trim().split("\n");
      expect([pwd, uid, r.status]).toEqual([dir, "100123", 0]);
      expect(Number(pid)).toBeLessThan(10); // a pid of the container's namespace (its init is 1)
    } finally {
      holder.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
