import { describe, expect, test } from "bun:test";
import type { ContainerReport } from "../rpc/types.ts";
import { FULL_EVERY_MS, ReportDelta, USAGE_STEP_MEMORY } from "./report-delta.ts";
import { capOf } from "./test-fixtures.ts";

const report = (id: string, over: Partial<ContainerReport> = {}, usage: Partial<ContainerReport["usage"]> = {}): ContainerReport => ({
  containerId: id, groupId: "web", state: "running", pid: 100, startedAt: 1, message: "", exitCode: 0, cap: capOf(id, { grantedAt: 5 }),
  usage: { millicores: 100, memoryRss: 64 * 2 ** 20, memoryCache: 0, disk: 0, at: 1, ...usage }, ...over,
});
const ids = (b: { containers: ContainerReport[] }) => b.containers.map((c) => c.containerId);

describe("ReportDelta", () => {
  test("the first report is full; then only what changed since the last acknowledged one", () => {
    const d = new ReportDelta();
    const a = report("web.0");
    const b = report("web.1");
    const first = d.next([a, b], 0);
    expect(first.full).toBe(true);
    expect(ids(first)).toEqual(["web.0", "web.1"]);
    d.commit();
    expect(d.next([a, b], 1000)).toEqual({ full: false, containers: [] });
    d.commit();
    const moved = report("web.1", { state: "exited", exitCode: 3 });
    expect(ids(d.next([a, moved], 2000))).toEqual(["web.1"]);
    d.commit();
    expect(ids(d.next([a, moved, report("web.2", { state: "creating" })], 3000))).toEqual(["web.2"]);
  });

  test("a container's failure with its reason, and a note on a running one, each go out in the next report", () => {
    const d = new ReportDelta();
    d.next([report("web.0"), report("web.1")], 0);
    d.commit();
    const killed = report("web.0", { state: "failed", message: "killed: workspace uses 4.8M of its 1M for longer than 30s" });
    expect(d.next([killed, report("web.1")], 1000).containers).toEqual([killed]);
    d.commit();
    const noted = report("web.1", { message: "OOM killer: 1 process(es) killed at the memory limit of 64M" });
    expect(d.next([killed, noted], 2000).containers).toEqual([noted]);
  });

  test("usage counts as a change only past a step", () => {
    const d = new ReportDelta();
    d.next([report("web.0")], 0);
    d.commit();
    expect(ids(d.next([report("web.0", {}, { millicores: 110, memoryRss: 64 * 2 ** 20 + 1000 })], 1))).toEqual([]);
    d.commit();
    expect(ids(d.next([report("web.0", {}, { memoryRss: 64 * 2 ** 20 + 2 * USAGE_STEP_MEMORY })], 2))).toEqual(["web.0"]);
  });

  test("a failed heartbeat, ResMan's want_full and the anti-entropy period each make the next report full", () => {
    const d = new ReportDelta();
    const a = [report("web.0")];
    d.next(a, 0);
    d.commit();
    d.next([report("web.0", { state: "exited" })], 10);
    d.failed(); // ResMan may or may not have it
    expect(d.next(a, 20).full).toBe(true);
    d.commit();
    expect(d.next(a, 30).full).toBe(false);
    d.commit();
    d.wantFull();
    expect(d.next(a, 40).full).toBe(true);
    d.commit();
    expect(d.next(a, 40 + FULL_EVERY_MS - 1).full).toBe(false);
    d.commit();
    expect(d.next(a, 40 + FULL_EVERY_MS).full).toBe(true);
  });

  test("a change not yet acknowledged is sent again", () => {
    const d = new ReportDelta();
    d.next([report("web.0")], 0);
    d.commit();
    const changed = [report("web.0", { pid: 200 })];
    expect(ids(d.next(changed, 1))).toEqual(["web.0"]);
    // no commit (e.g. the agent stopped before the answer): the next delta still carries it
    expect(ids(d.next(changed, 2))).toEqual(["web.0"]);
  });
});
