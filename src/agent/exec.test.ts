import { expect, test } from "bun:test";
import { checkExecAccess, execArgv } from "./exec.ts";

test("exec: the owner, admins and update on the pool; not list, not another pool", () => {
  const user = (name: string, grants: Record<string, string[]> = {}) => ({ kind: "user" as const, user: name, grants });
  expect(() => checkExecAccess(user("alice"), "alice", "default")).not.toThrow();
  expect(() => checkExecAccess({ kind: "user", user: "root", admin: true }, "alice", "default")).not.toThrow();
  expect(() => checkExecAccess(user("bob", { default: ["update"] }), "alice", "default")).not.toThrow();
  expect(() => checkExecAccess(user("bob", { default: ["list", "submit"] }), "alice", "default")).toThrow("user bob may not exec in a container of alice in pool default (needs update there)");
  expect(() => checkExecAccess(user("bob", { gpu: ["update"] }), "alice", "default")).toThrow(/may not exec/);
  expect(() => checkExecAccess({ kind: "none" } as never, "alice", "default")).toThrow();
});

test("exec argv: cgroup on the host, then the init's namespaces, then the workspace and the task's user", () => {
  const cp = { workspace: "/w/c 1", namespaces: ["mount", "uts", "pid"] as never, initPid: 4242, taskUid: 30001 };
  const a = execArgv({ cp, procs: ["/sys/fs/cgroup/cpu/g/procs"], drop: true }, ["cat", "x"]);
  expect(a.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
  expect(a.slice(3)).toEqual(["galaxy-exec", "cat", "x"]);
  const script = a[2]!;
  expect(script.indexOf("echo $$ > '/sys/fs/cgroup/cpu/g/procs'")).toBeLessThan(script.indexOf("exec nsenter -t 4242 -m -u -p --"));
  expect(script).toContain("cd '\\''/w/c 1'\\''");
  expect(script).toContain("setpriv --reuid=30001 --regid=30001 --clear-groups");
  const plain = execArgv({ cp: { workspace: "/w", namespaces: [], taskUid: 0 }, procs: [], drop: false }, ["ls"])[2]!;
  expect(plain).toBe(`cd '/w' || exit 126\nexec "$@"`);
});
