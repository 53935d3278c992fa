import { expect, test } from "bun:test";
import { parseJobId, phaseState, slurmConf, slurmPeer, tallyStates } from "./peer-slurm.ts";

test("slurm.conf: one node, localhost, its CPUs, our ports, munge socket and every state path under the temp dir", () => {
  const c = slurmConf({ dir: "/tmp/x", ctldPort: 15000, slurmdPort: 15001, cpus: 128 });
  expect(c).toContain("SlurmctldPort=15000\nSlurmdPort=15001\n");
  expect(c).toContain("AuthInfo=socket=/tmp/x/munge/munge.sock\n");
  expect(c).toContain("NodeName=localhost CPUs=128 ");
  expect(c).toContain("SlurmdParameters=config_overrides\n");
  for (const line of c.split("\n").filter((l) => /(Location|Dir|File)=/.test(l))) expect(line).toMatch(/=\/tmp\/x\//);
});

test("sbatch --parsable: the job id, with or without a cluster; anything else is refused", () => {
  expect(parseJobId("42\n")).toBe("42");
  expect(parseJobId("42;galaxybench\n")).toBe("42");
  expect(() => parseJobId("sbatch: error")).toThrow('sbatch answered "sbatch: error", not a job id');
});

test("squeue states: running waits for all running; finished waits for none live, done only when all completed", () => {
  const s = tallyStates("RUNNING\nPENDING\nRUNNING\n\n");
  expect([...s]).toEqual([["RUNNING", 2], ["PENDING", 1]]);
  expect(phaseState(s, 3, "running")).toEqual({ stop: false, done: false, note: "2 running, 1 pending" });
  expect(phaseState(tallyStates("RUNNING\nRUNNING\nRUNNING"), 3, "running").stop).toBe(true);
  expect(phaseState(tallyStates("COMPLETED\nCOMPLETING\nCOMPLETED"), 3, "finished").stop).toBe(false);
  expect(phaseState(tallyStates("COMPLETED\nCOMPLETED"), 3, "finished").stop).toBe(false);
  expect(phaseState(tallyStates("COMPLETED\nCOMPLETED\nCOMPLETED"), 3, "finished")).toEqual({ stop: true, done: true, note: "3 completed" });
  expect(phaseState(tallyStates("COMPLETED\nFAILED\nCOMPLETED"), 3, "finished")).toMatchObject({ stop: true, done: false });
});

const installed = Bun.which("slurmctld") && Bun.which("munged") && process.getuid?.() === 0;
test.skipIf(!installed)("Slurm peer (when installed, as root): 2 services run, 3 one-second tasks finish, nothing left behind", async () => {
  const f = await slurmPeer.run({ services: 2, batch: 3, idleSeconds: 1, log: () => {} });
  expect(f.services).toMatchObject({ pods: 2, done: true });
  expect(f.idle).toMatchObject({ containers: 2, chargedPerPod: null });
  expect(f.idle!.pssPerContainer).toBeGreaterThan(0);
  expect(f.batch).toMatchObject({ pods: 3, done: true });
  const left = Bun.spawnSync(["pgrep", "-x", "slurmctld|slurmd|munged|slurmstepd"]).stdout.toString().trim();
  expect(left).toBe("");
}, 120_000);
