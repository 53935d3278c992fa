// The host worker's bookkeeping against pod files in a temp dir (no AppMaster: fetches fail and are retried).
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../sys/proc.ts";
import { type HostPod, removeHostPod, writeHostPod } from "../sys/host-pods.ts";
import { HostWorker } from "./host-worker.ts";

const dir = mkdtempSync(join(tmpdir(), "galaxy-host-worker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pod(id: string, over: Partial<HostPod> = {}): HostPod {
  const workspace = join(dir, "ws", id);
  mkdirSync(join(workspace, "logs"), { recursive: true });
  mkdirSync(join(workspace, ".galaxy"), { recursive: true });
  const env = { GALAXY_POD_ID: id, GALAXY_JOB_ID: "j", GALAXY_CONTAINER_ID: id, GALAXY_WORKSPACE: workspace, GALAXY_POD_TOKEN: `token-${id}` };
  return { containerId: id, env, initPid: 4242, initStart: 7, namespaces: ["mount", "pid"], stopMs: 0, ...over };
}

test("serves every pod file: a Worker each, with the pod's own token; stop -> terminated and worker.exit 0; file gone -> forgotten", async () => {
  const hw = new HostWorker(dir, () => {});
  writeHostPod(dir, pod("a.0"));
  writeHostPod(dir, pod("b.0"));
  hw.scan();
  expect([...hw.pods.keys()].sort()).toEqual(["a.0", "b.0"]);
  expect(hw.pods.get("a.0")!.worker.w.token).toBe("token-a.0"); // each pod's reports carry its own credential
  expect(hw.pods.get("b.0")!.worker.w.identity?.enter).toEqual({ initPid: 4242, namespaces: ["mount", "pid"] });
  expect(readFileSync(join(dir, "ws", "a.0", ".galaxy", "worker.json"), "utf8")).toContain('"plan":null'); // written at once: it is up

  await Bun.sleep(10); // a new modification time
  writeHostPod(dir, pod("a.0", { stopMs: 1000 })); // the agent destroys it
  hw.scan();
  // (its last report goes out with the next tick's flush; no AppMaster here, so it fails and the worker ends anyway)
  expect(await waitFor(() => (hw.step(Date.now()), hw.pods.get("a.0")!.ended), 10_000)).toBe(true);
  expect(readFileSync(join(dir, "ws", "a.0", ".galaxy", "worker.exit"), "utf8").trim()).toBe("0");

  const before = hw.pods.get("b.0")!.worker;
  await Bun.sleep(10);
  writeHostPod(dir, pod("b.0", { initPid: 5353, initStart: 9 })); // its namespaces made anew: a fresh Worker
  hw.scan();
  expect(hw.pods.get("b.0")!.worker).not.toBe(before);
  expect(hw.pods.get("b.0")!.worker.w.identity?.enter?.initPid).toBe(5353);

  removeHostPod(dir, "a.0");
  removeHostPod(dir, "b.0");
  hw.scan();
  expect(hw.pods.size).toBe(0);
});
