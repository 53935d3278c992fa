// In-process tests of ResMan's client commands (agents, labels, pools, users, grants, quotas, containers, plan,
// preempt, safe mode, status) against a real ResMan + AppMaster with simulated agents: tables, --json, errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startTestCluster, type TestCluster } from "../src/testing/cluster.ts";
import { runCli } from "../src/testing/run-cli.ts";

const ROOT = join(import.meta.dir, "..");
let tc: TestCluster;
const cli = (...argv: string[]) => runCli(argv, { GALAXY_CONFIG: tc.configPath, HOME: tc.dir });
const as = (user: string, token: string, ...argv: string[]) => runCli(argv, { GALAXY_CONFIG: tc.configPath, HOME: tc.dir, GALAXY_USER: user, GALAXY_TOKEN: token });
const json = async (...argv: string[]) => {
  const r = await cli(...argv, "--json");
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  tc = await startTestCluster({ agents: 2 });
  await tc.settle(async () => (await json("agents")).length === 2);
});
afterAll(async () => tc?.stop());

describe("ResMan commands", () => {
  test("agents, labels and pools", async () => {
    const agents = await json("agents");
    expect(agents.map((a: { endpoint: string; state: string; pool: string }) => [a.endpoint, a.state, a.pool])).toEqual([
      ["sim-0:1646", "alive", "default"], ["sim-1:1646", "alive", "default"],
    ]);
    expect((await cli("agents")).stdout).toMatch(/^ENDPOINT\s+STATUS\s+POOL\s+LABELS\s+CONTAINERS\s+CPU\s+MEMORY/);
    expect((await cli("label", "add", "ssd", "sim-0:1646", "sim-1")).stdout).toBe("label ssd added to sim-0:1646, sim-1; now on 2 agents\n");
    await cli("label", "remove", "ssd", "sim-1:1646");
    expect(await json("labels")).toEqual([{ label: "ssd", endpoints: ["sim-0:1646"] }]);
    expect((await json("agents", "--label", "ssd")).map((a: { endpoint: string }) => a.endpoint)).toEqual(["sim-0:1646"]);
    expect((await cli("pool", "add", "gpu")).stdout).toBe("pool gpu created\n");
    expect((await cli("pool", "add", "gpu")).stderr).toBe('Error: pool "gpu" already exists\n');
    expect((await cli("agent", "pool", "sim-1", "gpu")).stdout).toBe("agent sim-1:1646 is in pool gpu\n");
    const pools = await json("pools");
    expect(pools.map((p: { name: string; agents: number }) => [p.name, p.agents])).toEqual([["default", 1], ["gpu", 1]]);
    expect((await cli("pool", "remove", "gpu")).stderr).toContain("still has 1 agents");
    await cli("agent", "pool", "sim-1", "default");
    expect((await cli("pool", "remove", "gpu")).code).toBe(0);
    expect((await cli("agent", "pool", "sim-1", "nope")).stderr).toBe('Error: no pool "nope"\n');
  });

  test("users and grants: a user without a grant is refused, with one it may submit", async () => {
    const bob = (await cli("user", "add", "bob")).stdout.split("\n")[1]!;
    const refused = await as("bob", bob, "submit", "-f", join(ROOT, "testdata/jobs/hello.yaml"));
    expect(refused).toMatchObject({ code: 1, stderr: "Error: user bob may not submit in any pool\n" });
    expect((await as("bob", bob, "agents")).stdout).toBe("No agents.\n"); // list needs a grant too
    expect((await as("bob", bob, "users")).stderr).toBe("Error: user bob is not an admin\n");
    expect((await as("bob", bob, "plan", "-f", join(ROOT, "testdata/jobs/hello.yaml"))).stderr).toBe("Error: user bob may not submit in pool default\n");
    const add = await cli("user", "add", "alice");
    expect(add.code).toBe(0);
    expect(add.stdout).toStartWith("user alice created; token (shown only now):\n");
    const token = add.stdout.split("\n")[1]!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect((await cli("grant", "alice", "--pool", "default", "--allow", "submit,list")).stdout).toBe("alice in default: list, submit\n");
    expect((await json("users")).find((u: { name: string }) => u.name === "alice")).toMatchObject({ admin: false, grants: [{ pool: "default", allow: ["list", "submit"] }] });
    // a quota on replicas refuses a 3-pod job and names the dimension
    expect((await cli("quota", "alice", "--replica", "2", "--cpu", "1")).stdout).toMatch(/replica\s+0\s+2/);
    const over = await as("alice", token, "submit", "-f", join(ROOT, "testdata/jobs/hello.yaml"));
    expect(over.code).toBe(1);
    expect(over.stderr).toBe("Error: quota of alice exceeded on replica: would use 3 replicas of 2 replicas\n");
    await cli("quota", "alice", "--replica", "0");
    const ok = await as("alice", token, "submit", "-f", join(ROOT, "testdata/jobs/hello.yaml"));
    expect(ok.code).toBe(0);
    const q = JSON.parse((await as("alice", token, "quota", "alice", "--json")).stdout);
    expect(q).toMatchObject({ quota: { millicores: 1000, replica: 0 }, used: { millicores: 300, replica: 3 } });
    const id = ok.stdout.trim();
    await tc.settle(async () => (await json("containers", id)).group.running === 3);
    await cli("remove", id);
    expect((await cli("user", "remove", "alice")).stdout).toBe("user alice removed\n");
    expect((await json("users")).map((u: { name: string }) => u.name)).toEqual(["admin", "bob"]);
  });

  test("containers, plan, preempt and safe mode", async () => {
    const r = await cli("submit", "-f", join(ROOT, "testdata/jobs/batch.yaml"));
    const batch = r.stdout.trim();
    await tc.settle(async () => (await json("containers", batch)).group.placed === 4);
    const list = await json("containers");
    expect(list.find((g: { id: string }) => g.id === batch)).toMatchObject({ jobType: "batch", replica: 4, placed: 4, pending: 0 });
    expect((await cli("containers", batch.slice(0, 12))).stdout).toMatch(/^Group batch-\S+\s+\(batch, user admin\): 4 placed/);
    const plan = await json("plan", "-f", join(ROOT, "testdata/jobs/hello.yaml"));
    expect(plan).toMatchObject({ fit: 3, wanted: 3, preempting: 0 });
    expect((await cli("plan", "-f", join(ROOT, "testdata/jobs/hello.yaml"))).stdout).toMatch(/^3 of 3 pods of hello fit\nAGENT\s+PODS/);
    const s = await cli("safemode", "enter");
    expect(s.stdout).toBe("safe mode is on (manual): nothing is scheduled\n");
    expect((await json("status")).safeMode).toBe(true);
    expect((await cli("status")).stdout).toContain("safe mode  on (manual)");
    expect((await cli("safemode", "leave")).stdout).toBe("safe mode is off: scheduling\n");
    expect((await cli("preempt", batch, "sim-0:1646")).stderr).toBe(`Error: group ${batch} has no pending container\n`);
    expect((await cli("preempt", "nope", "sim-0:1646")).stderr).toBe('Error: no group "nope"\n');
    await cli("remove", batch);
  });

  test("agent offline, online, drain, show, remove", async () => {
    expect((await cli("agent", "offline", "sim-0")).stdout).toMatch(/^agent sim-0:1646 is offline: it takes no new containers \(\d+ containers on it\)\n$/);
    expect((await json("agent", "show", "sim-0:1646")).agent.state).toBe("offline");
    expect((await json("status")).agentsOffline).toBe(1);
    await cli("agent", "drain", "sim-0");
    expect((await json("agents")).find((a: { endpoint: string }) => a.endpoint === "sim-0:1646").state).toBe("draining");
    await cli("agent", "online", "sim-0");
    expect((await cli("agent", "show", "sim-0")).stdout).toMatch(/^Agent sim-0:1646\s+\(alive, pool default\)/);
    expect((await cli("agent", "show", "nope")).stderr).toBe('Error: no agent "nope"\n');
  });
});
