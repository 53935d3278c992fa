import { describe, expect, test } from "bun:test";
import { NotFoundError } from "../core/errors.ts";
import type { RpcClient } from "../rpc/index.ts";
import type { KeptContainer, Pod, TaskStatus } from "../rpc/types.ts";
import { chooseKept, collectedMessage, describeEnd, explainGone, keptEnd, locatePod, type LocateClients } from "./logs-locate.ts";

const task = (name: string, state: string, exitCode: number, message = `exited ${exitCode}`) =>
  ({ name, state, pid: 0, exitCode, signal: "", coreDumped: false, restarts: 0, message, startedAt: 0, version: "", healthy: false }) as TaskStatus;
const kept = (id: string, o: Partial<KeptContainer> = {}): KeptContainer =>
  ({ containerId: id, keptAt: 1, deleteAt: Date.UTC(2026, 11, 6, 0, 40), collectedAt: 0, failure: "", tasks: [task("main", "exited", 0)], ...o });
const pod = (id: string, o: Partial<Pod> = {}) => ({ id, jobId: id.split(".")[0], containerId: id, agent: "", state: "pending", tasks: [], lastError: "", ...o }) as unknown as Pod;

describe("how a pod ended, in one sentence", () => {
  test("finished, failed by a task, failed by its container, stopped", () => {
    expect(describeEnd("b.0", [task("main", "exited", 0)], "")).toBe("pod b.0 finished: task main exited 0");
    expect(describeEnd("b.0", [task("main", "failed", 3)], "")).toBe("pod b.0 failed: task main exited 3");
    expect(describeEnd("b.0", [task("main", "exited", 3)], "")).toBe("pod b.0 failed: task main exited 3");
    expect(describeEnd("b.0", [], "placement failed: port 80 is taken")).toBe("pod b.0 failed: placement failed: port 80 is taken");
    expect(describeEnd("s.0", [task("main", "stopped", -1, "killed by SIGTERM")], "")).toBe("pod s.0 ended: task main killed by SIGTERM");
    expect(describeEnd("s.0", [], "")).toBe("pod s.0 ended");
    // a worker told to terminate records a task that had exited as stopped, its status kept
    expect(describeEnd("b.0", [task("main", "stopped", 0)], "")).toBe("pod b.0 finished: task main exited 0");
    expect(describeEnd("b.0", [task("main", "stopped", 3)], "")).toBe("pod b.0 failed: task main exited 3");
    expect(describeEnd("s.0", [{ ...task("main", "stopped", 143, "killed by SIGTERM"), signal: "SIGTERM" }], "")).toBe("pod s.0 ended: task main killed by SIGTERM");
  });

  test("kept until, and collected at (UTC)", () => {
    expect(keptEnd(kept("b.0"))).toBe("pod b.0 finished: task main exited 0 (its logs are kept until 2026-12-06T00:40:00Z)");
    expect(collectedMessage(kept("b.0", { collectedAt: Date.UTC(2026, 11, 6, 0, 41) }))).toBe(
      "the logs of pod b.0 were collected at 2026-12-06T00:41:00Z, --gc-delay after it ended (pod b.0 finished: task main exited 0)",
    );
  });
});

describe("which kept workspace a text names", () => {
  test("the newest of a container kept on two agents; a job's only pod; none; ambiguous", () => {
    const found = [{ agent: "a1", kept: kept("b.0", { keptAt: 5 }) }, { agent: "a2", kept: kept("b.0", { keptAt: 9 }) }];
    expect(chooseKept(found, "b.0")!.agent).toBe("a2");
    expect(chooseKept(found, "b")!.agent).toBe("a2");
    expect(chooseKept(found, "b.1")).toBeNull();
    expect(chooseKept([], "b")).toBeNull();
    expect(() => chooseKept([...found, { agent: "a1", kept: kept("b.1") }], "b")).toThrow(/matches 2: b.0, b.1/);
  });
});

/** RpcClients answering from tables; `calls` records who was asked what. */
function clients(pods: Pod[] | null, keptBy: Record<string, KeptContainer[]>) {
  const calls: string[] = [];
  const fake = (name: string, answer: (method: string, req: any) => unknown) =>
    ({ call: async (method: string, req: any) => (calls.push(`${name} ${method}`), answer(method, req)) }) as unknown as RpcClient;
  const c: LocateClients = {
    am: fake("am", () => {
      if (!pods) throw new NotFoundError("job", "b");
      return { pods };
    }),
    rm: () => fake("rm", () => ({ agents: Object.keys(keptBy).map((endpoint) => ({ info: { endpoint } })) })),
    agent: (ep) =>
      fake(ep, (_m, req) => {
        if (ep === "down") throw new Error("connection refused");
        return { kept: keptBy[ep]!.filter((k) => k.containerId.startsWith(req.prefix)) };
      }),
  };
  return { c, calls };
}

describe("where galaxy logs reads a pod", () => {
  test("a pod AppMaster lists on an agent: that agent, and no agent is asked; an ended one says how it ended", async () => {
    const { c, calls } = clients([pod("b.0", { agent: "a1", state: "running", tasks: [task("main", "running", -1)] })], {});
    expect(await locatePod(c, "b.0")).toEqual({ podId: "b.0", agent: "a1", containerId: "b.0", firstTask: "main", ended: null });
    expect(calls).toEqual(["am AppMaster/ListPods"]);
    const done = clients([pod("b.0", { agent: "a1", state: "failed", lastError: "main: exited 3", tasks: [task("main", "failed", 3)] })], {}).c;
    expect((await locatePod(done, "b")).ended).toBe("pod b.0 failed: task main exited 3"); // its tasks say it; not twice
    const never = clients([pod("b.0", { agent: "a1", state: "failed", lastError: "cannot create container: x" })], {}).c;
    expect((await locatePod(never, "b")).ended).toBe("pod b.0 failed: cannot create container: x");
  });

  test("a pod AppMaster forgot (job finished or removed): the agent that kept it, asked among every agent", async () => {
    for (const listed of [[], null]) {
      const { c } = clients(listed, { a1: [], down: [], a2: [kept("b.0", { tasks: [task("main", "failed", 3)] })] });
      const at = await locatePod(c, "b.0");
      expect(at).toMatchObject({ podId: "b.0", agent: "a2", containerId: "b.0", firstTask: "main" });
      expect(at.ended).toStartWith("pod b.0 failed: task main exited 3 (its logs are kept until ");
    }
  });

  test("a pod waiting to be placed again is read where its last container was kept; without one, the old sentence", async () => {
    expect((await locatePod(clients([pod("b.0")], { a1: [kept("b.0")] }).c, "b.0")).agent).toBe("a1");
    await expect(locatePod(clients([pod("b.0")], { a1: [] }).c, "b.0")).rejects.toThrow("pod b.0 is not on an agent yet (pending); its logs do not exist yet");
  });

  test("collected: says when; nowhere: no pod", async () => {
    const gone = clients([], { a1: [kept("b.0", { collectedAt: Date.UTC(2026, 11, 6, 1) })] }).c;
    await expect(locatePod(gone, "b.0")).rejects.toThrow("the logs of pod b.0 were collected at 2026-12-06T01:00:00Z");
    await expect(locatePod(clients(null, { a1: [] }).c, "b.0")).rejects.toThrow('no pod "b.0"');
  });

  test("ReadLogs finding no container: the agent's record of a collected workspace explains it", async () => {
    const { c } = clients([], { a1: [kept("b.0", { collectedAt: 1 })], a2: [] });
    await expect(explainGone(c.agent("a1"), "b.0", new NotFoundError("container", "b.0"))).rejects.toThrow("the logs of pod b.0 were collected");
    const other = new Error("boom");
    await expect(explainGone(c.agent("a2"), "b.0", new NotFoundError("container", "b.0"))).rejects.toThrow('no container "b.0"');
    await expect(explainGone(c.agent("a1"), "b.0", other)).rejects.toBe(other);
  });
});
