import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dropPersistent, PersistentReporter, recordPersistent, scanPersistent } from "./persistent.ts";
import { planVolumes } from "./volumes.ts";
import { capOf } from "./test-fixtures.ts";

const G = 1024 ** 3;
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup() {
  dir = mkdtempSync(join(tmpdir(), "galaxy-persistent-"));
  const layout = { dataDir: join(dir, "data"), agentKey: "h_1", devices: [{ medium: "disk" as const, path: join(dir, "d1"), size: 20 * G }] };
  const cap = (id: string) =>
    capOf(id, {
      groupId: id.split(".")[0]!,
      volumes: [
        { path: "/data", size: G, medium: "disk", exclusive: false, readonly: false, persistent: true, sticky: false, retentionMs: 5000 },
        { path: "/tmp2", size: G, medium: "disk", exclusive: false, readonly: false, persistent: false, sticky: false, retentionMs: 0 },
      ],
      bindings: [{ path: "/data", hostPath: join(dir, "d1"), size: G, medium: "disk", shared: true }],
    });
  return { layout, cap };
}

describe("persistent volumes on the agent", () => {
  test("a persistent volume lives per container id and path (the same for every incarnation); others per incarnation", () => {
    const { layout, cap } = setup();
    const plan = planVolumes(cap("db.0"), { ...layout, free: new Map() });
    expect(plan[0]).toMatchObject({ persistent: true, device: join(dir, "d1"), retentionMs: 5000, hostPath: join(dir, "d1/galaxy/h_1/persistent/db.0/%2Fdata") });
    expect(plan[1]!.persistent).toBeUndefined();
    expect(planVolumes(cap("db.0"), { ...layout, free: new Map() })[0]!.hostPath).toBe(plan[0]!.hostPath);
  });

  test("recorded data is reported from the disk; a drop deletes it unless a live container holds it, and logs it", () => {
    const { layout, cap } = setup();
    for (const id of ["db.0", "db.1"]) for (const v of planVolumes(cap(id), { ...layout, free: new Map() })) recordPersistent(v, id, "db");
    const v0 = planVolumes(cap("db.0"), { ...layout, free: new Map() })[0]!;
    writeFileSync(join(v0.hostPath, "boot.log"), "hello\n");
    expect(scanPersistent(layout)).toEqual([
      { containerId: "db.0", groupId: "db", path: "/data", device: join(dir, "d1"), size: G, retentionMs: 5000 },
      { containerId: "db.1", groupId: "db", path: "/data", device: join(dir, "d1"), size: G, retentionMs: 5000 },
    ]);
    const logs: string[] = [];
    expect(dropPersistent(layout, ["db.0", "db.1", "../x"], new Set(["db.1"]), (m) => logs.push(m))).toBe(1);
    expect(existsSync(v0.hostPath)).toBe(false);
    expect(logs).toEqual([`agent: removed the persistent data of db.0 on ${join(dir, "d1")} (its job was removed, its retention is over)`]);
    expect(scanPersistent(layout).map((d) => d.containerId)).toEqual(["db.1"]);
  });

  test("the reporter rescans when the containers change, and after a drop", () => {
    const { layout, cap } = setup();
    const r = new PersistentReporter(layout, () => {});
    const none = r.data([], 0);
    expect(none).toEqual([]);
    for (const v of planVolumes(cap("db.0"), { ...layout, free: new Map() })) recordPersistent(v, "db.0", "db");
    expect(r.data([], 1)).toBe(none); // nothing changed: the cache
    const one = r.data(["db.0:running"], 2);
    expect(one.map((d) => d.containerId)).toEqual(["db.0"]);
    expect(r.data(["db.0:exited"], 3)).toBe(one); // rescanned, the same data: the same array (no full report)
    r.drop(["db.0"], new Set());
    expect(r.data(["db.0:running"], 4)).toEqual([]);
  });
});
