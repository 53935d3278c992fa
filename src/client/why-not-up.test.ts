import { describe, expect, test } from "bun:test";
import type { Job, Pod } from "../rpc/types.ts";
import { interruptedNote, whyNotUp } from "./why-not-up.ts";

const job = (over: Partial<Job> = {}) => ({ id: "web-1", replica: 4, state: "running", version: 1, message: "", ...over }) as unknown as Job;
const pod = (id: string, state: string, o: Partial<Pod> = {}) => ({ id, state, lastError: "", tasks: [], healthy: state === "running", version: 1, ...o }) as unknown as Pod;

describe("why the pods are not up", () => {
  test("pending reasons grouped, failing checks, deploying, unplaced", () => {
    const pods = [
      pod("web-1.0", "pending", { lastError: "no agent has 4000m cpu free" }),
      pod("web-1.1", "pending", { lastError: "no agent has 4000m cpu free" }),
      pod("web-1.2", "running", { healthy: false }),
    ];
    expect(whyNotUp(job({ message: "quota exceeded" }), pods)).toBe(
      "1 not placed yet: quota exceeded; 2 pending: no agent has 4000m cpu free (2 pods); 1 running but failing their health check: web-1.2",
    );
    expect(whyNotUp(job({ replica: 1 }), [pod("web-1.0", "deploying", { tasks: [{ message: "fetching package" }] as Pod["tasks"] })]))
      .toBe("1 still deploying: fetching package (web-1.0)");
    expect(whyNotUp(job({ replica: 1, state: "updating", version: 2 }), [pod("web-1.0", "lost", { lastError: "agent silent" })]))
      .toBe("1 down: agent silent (web-1.0); 1 still on an older version");
  });

  test("Ctrl-C says the job goes on and how to watch it again", () => {
    expect(interruptedNote("web-1", "update")).toContain("job web-1 goes on (nothing was cancelled). Watch it again with `galaxy update web-1 --watch`");
    expect(interruptedNote("web-1", "deploy")).toContain("`galaxy pods web-1 --watch`");
  });
});
