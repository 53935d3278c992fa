import { describe, expect, test } from "bun:test";
import { parse } from "yaml";
import { ago, bytes, countBy, filterJobs, heat, mayAdminAgent, mayUpdate, NO_FILTER, poolsOf, sortJobs, toYaml, type JobRow, type Me } from "./model.ts";

const row = (id: string, o: Partial<JobRow> = {}): JobRow => ({
  id, name: id.split("-")[0]!, jobType: "service", user: "alice", state: "running", status: "running", pools: ["default"],
  replica: 1, healthy: 1, running: 1, version: 1, createdAt: 0, ...o,
});

describe("jobs list", () => {
  const jobs = [row("web-1"), row("db-2", { status: "degraded", user: "bob", pools: ["gpu"] }), row("etl-3", { jobType: "batch", status: "finished", createdAt: 5 })];

  test("search matches id, name and user; filters combine", () => {
    expect(filterJobs(jobs, { ...NO_FILTER, q: "BOB" }).map((j) => j.id)).toEqual(["db-2"]);
    expect(filterJobs(jobs, { ...NO_FILTER, type: "batch" }).map((j) => j.id)).toEqual(["etl-3"]);
    expect(filterJobs(jobs, { ...NO_FILTER, pool: "gpu", status: "degraded" }).map((j) => j.id)).toEqual(["db-2"]);
    expect(filterJobs(jobs, { ...NO_FILTER, pool: "gpu", user: "alice" })).toEqual([]);
  });

  test("sorts by a column either way; numbers as numbers", () => {
    expect(sortJobs(jobs, "id", false).map((j) => j.id)).toEqual(["db-2", "etl-3", "web-1"]);
    expect(sortJobs(jobs, "createdAt", true).map((j) => j.id)[0]).toBe("etl-3");
  });

  test("counts by status, most first", () => {
    expect(countBy([...jobs, row("x-4")], "status")).toEqual([["running", 2], ["degraded", 1], ["finished", 1]]);
  });

  test("pools come from the description", () => {
    expect(poolsOf(JSON.stringify({ deploy: { pools: ["a", "b"] } }))).toEqual(["a", "b"]);
    expect(poolsOf("not json")).toEqual([]);
  });
});

describe("who sees which button (the servers' rules)", () => {
  const me = (grants: Record<string, string[]>, admin = false): Me => ({ user: "alice", admin, grants });
  test("update: the owner with update in every pool, or an admin", () => {
    expect(mayUpdate(me({ a: ["update"], b: ["update"] }), { user: "alice", pools: ["a", "b"] })).toBe(true);
    expect(mayUpdate(me({ a: ["update"] }), { user: "alice", pools: ["a", "b"] })).toBe(false);
    expect(mayUpdate(me({ a: ["update"] }), { user: "bob", pools: ["a"] })).toBe(false);
    expect(mayUpdate(me({ a: ["list"] }), { user: "alice", pools: ["a"] })).toBe(false);
    expect(mayUpdate(me({}, true), { user: "bob", pools: ["a"] })).toBe(true);
  });
  test("agent state: admin in its pool", () => {
    expect(mayAdminAgent(me({ p: ["admin"] }), "p")).toBe(true);
    expect(mayAdminAgent(me({ p: ["update", "submit"] }), "p")).toBe(false);
    expect(mayAdminAgent(me({}, true), "p")).toBe(true);
  });
});

describe("formatting", () => {
  test("YAML of a description reads back as the same value", () => {
    const spec = { name: "web", deploy: { replica: 3, pools: ["default"], labels: [] }, pod: { tasks: [{ name: "main", start: "echo a\necho b\n", ports: [{ name: "http", port: 0 }], env: { X: "1", Y: "a: b", Z: "" } }] }, on: true, n: null };
    expect(parse(toYaml(spec))).toEqual({ ...spec, pod: { tasks: [{ ...spec.pod.tasks[0], start: "echo a\necho b\n" }] } });
  });
  test("bytes, ages, heat", () => {
    expect(bytes(512)).toBe("512 B");
    expect(bytes(64 * 1024 * 1024)).toBe("64 MiB");
    expect(bytes(1536)).toBe("1.5 KiB");
    expect(ago(10_000, 75_000)).toBe("1m ago");
    expect(heat({ state: "alive", cpu: 0, mem: 0, disk: 0 })).toBe("hsl(130 70% 45%)");
    expect(heat({ state: "alive", cpu: 0.2, mem: 1, disk: 0 })).toBe("hsl(0 70% 45%)");
    expect(heat({ state: "dead", cpu: 1, mem: 1, disk: 1 })).toBe("#3a3f47");
  });
});
