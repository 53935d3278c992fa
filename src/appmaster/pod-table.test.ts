import { describe, expect, test } from "bun:test";
import { PodTable } from "./pod-table.ts";
import { newPod } from "./pods.ts";

describe("PodTable", () => {
  test("pods by id and by job, a job's sorted by index and re-sorted after a change", () => {
    const t = new PodTable();
    for (const id of ["web.10", "web.2", "db.0", "web.0"]) t.add(newPod(id, id.split(".")[0]!, 0));
    expect(t.size).toBe(4);
    expect(t.ofJob("web").map((p) => p.id)).toEqual(["web.0", "web.2", "web.10"]);
    expect(t.get("db.0")?.jobId).toBe("db");
    const copy = t.ofJob("web");
    copy.pop(); // the caller's array: the table's order is untouched
    expect(t.ofJob("web").length).toBe(3);
    t.add(newPod("web.1", "web", 0));
    expect(t.ofJob("web").map((p) => p.id)).toEqual(["web.0", "web.1", "web.2", "web.10"]);
    expect(t.delete("web.2")).toBe(true);
    expect(t.delete("web.2")).toBe(false);
    expect(t.ofJob("web").map((p) => p.id)).toEqual(["web.0", "web.1", "web.10"]);
    expect(() => t.add(newPod("web.0", "web", 0))).toThrow(/added twice/);
  });

  test("a job's last pod gone, or the whole job dropped: the job is no longer listed", () => {
    const t = new PodTable();
    t.add(newPod("a.0", "a", 0));
    t.add(newPod("b.0", "b", 0));
    t.add(newPod("b.1", "b", 0));
    t.delete("a.0");
    expect(t.jobIds()).toEqual(["b"]);
    t.deleteJob("b");
    expect(t.jobIds()).toEqual([]);
    expect(t.size).toBe(0);
    expect(t.get("b.1")).toBeUndefined();
    expect(t.ofJob("b")).toEqual([]);
    expect([...t.values()]).toEqual([]);
  });
});
