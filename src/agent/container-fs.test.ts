// The mount plan of a container's namespace, from a real directory tree: what the skeleton covers, what the worker
// keeps, what is hidden elsewhere.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mountPlanOf, prepareLayout } from "./container-fs.ts";
import type { ContainerCheckpoint } from "./core.ts";
import { capOf } from "./test-fixtures.ts";

const root = mkdtempSync(join(tmpdir(), "galaxy-fs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const container = (dataDir: string): ContainerCheckpoint => ({
  id: "c1", cap: capOf("c1"), state: "creating", cgroup: "", workspace: join(dataDir, "containers", "c1"), pid: 0, pidStart: 0,
  startedAt: 0, message: "", exitCode: 0, workerRestarts: 0,
});

test("the cover is the highest Galaxy or closed directory; the worker's files beneath are kept; the cluster dir elsewhere is hidden", () => {
  const open = join(root, "open");
  const g = join(open, "g"); // galaxy up --dir
  const dataDir = join(g, "agent-0");
  const cluster = join(root, "cluster-elsewhere");
  for (const d of [dataDir, cluster, join(g, "bin")]) mkdirSync(d, { recursive: true });
  chmodSync(root, 0o755);
  chmodSync(open, 0o755);
  chmodSync(g, 0o755);
  writeFileSync(join(g, "bin", "galaxy"), "");
  const layout = { dataDir, agentKey: "a", devices: [], clusterDir: cluster };
  prepareLayout(layout);
  const plan = mountPlanOf(container(dataDir), layout, [join(g, "bin", "galaxy"), "appworker"]);
  expect(plan.cover).toBe(dataDir); // every directory above is open to others
  expect(plan.keep).toEqual([]); // the executable is not under the cover
  expect(plan.hide).toEqual([cluster]);
  expect(plan.stage).toBe(join(dataDir, "stage"));

  chmodSync(g, 0o700); // a closed directory above the data dir: the cover goes up to it
  const closed = mountPlanOf(container(dataDir), layout, [join(g, "bin", "galaxy"), "appworker"]);
  expect(closed.cover).toBe(g);
  expect(closed.keep).toEqual([join(g, "bin", "galaxy")]);

  const inside = mountPlanOf(container(dataDir), { ...layout, clusterDir: join(open, "g") }, []);
  expect(inside.hide).toEqual([]); // the cluster dir is under the cover already

  chmodSync(g, 0o755); // galaxy up's --dir, named with --hide: covered though open
  const up = mountPlanOf(container(dataDir), { ...layout, hidden: [g] }, []);
  expect([up.cover, up.hide]).toEqual([g, [cluster]]);
});
