import { expect, test } from "bun:test";
import { classify, containerOfCgroup, containerOfEnviron, overhead, pssOf, ticksOfStat, type ProcSample } from "./host-procs.ts";

const p = (pid: number, ppid: number, cmdline: string, container = "", pss = 1000, ticks = 0): ProcSample => ({ pid, ppid, cmdline, container, pss, ticks });
const isTask = (c: string) => c === "sleep 100000";

// agent 10 -> init 11 (c1) -> hold 12 (c1); agent -> worker 13 (c1) -> task 14 (c1) -> task child 15; unrelated 99
const before = [
  p(10, 1, "galaxy agent", "", 50_000, 100), p(11, 10, "unshare", "c1", 1000, 0), p(12, 11, "sleep 2147483647", "c1", 500, 0),
  p(13, 10, "galaxy appworker", "c1", 16_000, 10), p(14, 13, "sleep 100000", "c1", 300, 0), p(15, 14, "sh child", "c1", 200, 0),
  p(99, 1, "sshd", "", 9_999_999, 0),
];
const after = before.map((x) => ({ ...x, ticks: x.ticks + (x.pid === 13 ? 20 : x.pid === 10 ? 50 : 0) }));

test("classify: the agent is per-host, container processes are overhead, a task and its children are the task's, others ignored", () => {
  const c = classify(after, [10], isTask);
  expect(Object.fromEntries(c)).toEqual({ 10: "host", 11: "container", 12: "container", 13: "container", 14: "task", 15: "task" });
});

test("overhead: PSS and cpu per container and per host over the window", () => {
  const o = overhead(before, after, [10], isTask, 10);
  expect(o.containers).toBe(1);
  expect(o.pssPerContainer).toBe(1000 + 500 + 16_000);
  expect(o.taskPssPerContainer).toBe(500);
  expect(o.pssPerHost).toBe(50_000);
  expect(o.idleCpuPerContainerPct).toBeCloseTo(2, 6); // 20 ticks over 10 s at 100 Hz
  expect(o.idleCpuPerHostPct).toBeCloseTo(5, 6);
});

test("a per-host worker without a container marker counts for the host, not the containers", () => {
  const snap = [p(10, 1, "galaxy agent", "", 50_000), p(20, 10, "galaxy appworker --host", "", 20_000), p(21, 20, "sleep 100000", "c1", 300), p(22, 10, "galaxy-init", "c1", 100)];
  const o = overhead(snap, snap, [10], isTask, 1);
  expect(o.pssPerHost).toBe(70_000);
  expect(o.pssPerContainer).toBe(100);
});

test("parsers of /proc files", () => {
  expect(containerOfEnviron("A=1\0GALAXY_CONTAINER_ID=web.0\0B=2")).toBe("web.0");
  expect(containerOfEnviron("A=1")).toBe("");
  expect(containerOfCgroup("5:cpu,cpuacct:/\n4:memory:/galaxy/127.0.0.1_3655/idle-1.0/tasks\n")).toBe("idle-1.0");
  expect(containerOfCgroup("0::/user.slice\n")).toBe("");
  expect(containerOfCgroup("4:memory:/galaxy/127.0.0.1_3655/_workers/idle-1.3\n")).toBe("idle-1.3");
  expect(containerOfCgroup("4:memory:/galaxy/127.0.0.1_3655/_worker\n")).toBe(""); // the host worker: per host
  expect(ticksOfStat("123 (a b) S 7 1 1 0 -1 4194560 100 0 0 0 11 22 0 0 20 0 1 0")).toEqual({ ppid: 7, ticks: 33 });
  expect(pssOf("Rss: 10 kB\nPss:               23015 kB\n")).toBe(23015 * 1024);
});
