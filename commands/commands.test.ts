// In-process tests of the client commands against a real ResMan + AppMaster with simulated agents and workers:
// tables, --json, exit codes and the one-sentence errors.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { startTestCluster, type TestCluster } from "../src/testing/cluster.ts";
import { runCli } from "../src/testing/run-cli.ts";
import { RpcClient } from "../src/rpc/index.ts";

setDefaultTimeout(60_000); // the test cluster settles in rounds; some waits take longer than bun's 5 s default
const ROOT = join(import.meta.dir, "..");
let tc: TestCluster;
const cli = (...argv: string[]) => runCli(argv, { GALAXY_CONFIG: tc.configPath, HOME: tc.dir });

beforeAll(async () => {
  tc = await startTestCluster({ agents: 2 });
  await tc.settle();
});
afterAll(async () => tc?.stop());

/** hello.yaml under another name (job names are unique per user). */
async function named(name: string): Promise<string> {
  const file = join(tc.dir, `${name}.yaml`);
  await Bun.write(file, (await Bun.file(join(ROOT, "testdata/jobs/hello.yaml")).text()).replace("name: hello", `name: ${name}`));
  return file;
}

describe("client commands", () => {
  test("jobs on an empty cluster says so", async () => {
    const r = await cli("jobs");
    expect(r).toEqual({ code: 0, stdout: "No jobs.\n", stderr: "" });
    expect(JSON.parse((await cli("jobs", "--json")).stdout)).toEqual([]);
  });

  test("submit, then jobs, job and pods as tables and JSON", async () => {
    const r = await cli("submit", "-f", join(ROOT, "testdata/jobs/hello.yaml"));
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^hello-\d{8}-\d{4}-[0-9a-f]{4}$/);
    await tc.settle(async () => {
      const pods = JSON.parse((await cli("pods", "-j", id, "--json")).stdout);
      const jobs = JSON.parse((await cli("jobs", "--json")).stdout);
      return pods.length === 3 && pods.every((p: { state: string }) => p.state === "running") && jobs[0]?.state === "running";
    });
    const table = (await cli("jobs")).stdout.split("\n");
    expect(table[0]).toMatch(/^ID\s+NAME\s+TYPE\s+USER\s+STATUS/);
    expect(table[1]).toContain(id);
    expect(table[1]).toMatch(/running\s+3\/0\/0\/0\/0\s+3\s+100m\s+64M\s+\d+s ago/);
    const jobs = JSON.parse((await cli("jobs", "--json")).stdout);
    expect(jobs[0]).toMatchObject({ id, name: "hello", jobType: "service", user: "admin", state: "running", replica: 3, running: 3 });
    // `galaxy jobs` asks for a brief listing: no spec as JSON (most of the reply), the rest as in a full one
    const am = new RpcClient({ addresses: tc.config.appmaster, credentials: { user: "admin", token: tc.config.token } });
    const [full, brief] = [(await am.call("AppMaster/ListJobs", {})).jobs, (await am.call("AppMaster/ListJobs", { brief: true })).jobs];
    expect(JSON.parse(full[0]!.specJson).name).toBe("hello");
    expect(brief[0]!.specJson).toBe("");
    expect({ ...brief[0], specJson: full[0]!.specJson }).toEqual(full[0]!);
    const pods = JSON.parse((await cli("pods", "-j", "hello", "--json")).stdout);
    expect(pods.map((p: { id: string }) => p.id)).toEqual([0, 1, 2].map((i) => `${id}.${i}`));
    expect((await cli("pods", "-j", id.slice(0, 10))).stdout).toMatch(/^POD\s+AGENT\s+STATUS/);
    const show = await cli("job", id);
    expect(show.stdout).toContain(`Job ${id}  (service, user admin)`);
    expect(show.stdout).toContain("3 running, 0 pending");
    expect(JSON.parse((await cli("job", id, "--json")).stdout).job.spec.name).toBe("hello");
    // the same description again: AppMaster says so by a field (unchanged), which the CLI reads, not by the warning's text
    expect(await cli("update", id, "-f", join(ROOT, "testdata/jobs/hello.yaml"))).toMatchObject({ code: 0, stdout: `${id} unchanged\n` });
  });

  test("status lists masters, agents and pool usage", async () => {
    const s = JSON.parse((await cli("status", "--json")).stdout);
    expect(s.agentsAlive).toBe(2);
    expect(s.containers).toBe(3);
    expect((await cli("status")).stdout).toMatch(/resman\s+leader 127\.0\.0\.1:\d+\s+epoch 1/);
  });

  test("errors: bad file (exit 2), unknown id, ambiguous prefix, bad token, no cluster (exit 1)", async () => {
    const bad = await cli("submit", "-f", join(ROOT, "testdata/jobs/bad/unknown-key.yaml"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown key; did you mean");
    expect(await cli("job", "nope")).toMatchObject({ code: 1, stderr: 'Error: no job "nope"\n' });
    const again = await cli("submit", "-f", join(ROOT, "testdata/jobs/hello.yaml")); // names are unique per user
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Error: job hello exists \(hello-\S+\); change it with `galaxy apply -f FILE` or `galaxy update hello -f FILE`, or remove it first\n$/);
    await cli("submit", "-f", await named("hello2"));
    const amb = await cli("job", "hel");
    expect(amb.code).toBe(1);
    expect(amb.stderr).toMatch(/^Error: job prefix "hel" matches 2: hello-\S+, hello2-\S+\n$/);
    expect((await cli("jobs", "--token", "wrong")).stderr).toBe("Error: missing or invalid credentials; check --user/--token or run `galaxy login`\n");
    const down = await cli("jobs", "--appmaster", "127.0.0.1:1");
    expect(down).toMatchObject({ code: 1, stderr: "Error: no AppMaster at 127.0.0.1:1 (connection refused); is `galaxy appmaster` running? see `galaxy status`\n" });
    expect((await cli("pods")).code).toBe(2);
    expect(await cli("frobnicate")).toMatchObject({ code: 2, stderr: 'Error: unknown command "frobnicate"; see `galaxy --help`\n' });
    expect(await cli("jbos")).toMatchObject({ code: 2, stderr: "Error: unknown command \"jbos\"; did you mean `galaxy jobs`?\n" });
    expect(await cli("update")).toMatchObject({ code: 2, stderr: "Error: missing JOB; see `galaxy update --help`\n" });
    expect(await cli("submit", "-f", "/nonexistent.yaml", "--wait", "--timeout", "5x")).toMatchObject({
      code: 2, stderr: "Error: --timeout: '5x' is not a duration; use a number with ms, s, m or h, e.g. 30s, 5m or 1h30m\n",
    });
  });

  test("remove by prefix", async () => {
    const jobs = JSON.parse((await cli("jobs", "--json")).stdout);
    const r = await cli("remove", jobs[0].id.slice(0, -1));
    expect(r).toMatchObject({ code: 0, stdout: `${jobs[0].id} removing\n` });
    await tc.settle(async () => !(await cli("jobs", "--json")).stdout.includes(jobs[0].id), 200);
  });

  test("config shows the effective settings and sets keys; login checks the token", async () => {
    const c = JSON.parse((await cli("config", "--json")).stdout);
    expect(c).toMatchObject({ user: "admin", tokenSet: true, appmaster: tc.config.appmaster });
    expect((await cli("config", "nope", "x")).code).toBe(2);
    expect((await cli("login", "--user", "admin", "--token", "wrong")).code).toBe(1);
    expect((await cli("login", "--user", "admin", "--token", tc.config.token)).stdout).toContain("Logged in as admin");
  });

  test("completion prints a bash script naming the commands", async () => {
    const r = await cli("completion", "bash");
    expect(r.stdout).toContain("complete -o default -F _galaxy_complete galaxy");
    expect(r.stdout).toContain('"submit") flags=');
  });
});

describe("more client commands", () => {
  let id = "";
  beforeAll(async () => {
    id = (await cli("submit", "-f", await named("more"))).stdout.trim();
    await tc.settle(async () => JSON.parse((await cli("pods", "-j", id, "--json")).stdout).filter((p: { state: string }) => p.state === "running").length === 3);
  });

  test("job --output yaml prints a file that submits again to the same description", async () => {
    const r = await cli("job", id, "-o", "yaml");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^name: more\n/);
    const file = join(tc.dir, "again.yaml");
    await Bun.write(file, r.stdout);
    expect((await cli("apply", "-f", file)).stdout).toBe(`${id} unchanged\n`);
    await Bun.write(file, r.stdout.replace("name: more", "name: again"));
    const again = (await cli("submit", "-f", file)).stdout.trim();
    const a = JSON.parse((await cli("job", id, "--json")).stdout).job.spec;
    const b = JSON.parse((await cli("job", again, "--json")).stdout).job.spec;
    expect({ ...b, name: "more" }).toEqual(a);
    await cli("remove", again);
  });

  test("plan: exit 0 when every pod fits, 1 with the reasons when some would wait", async () => {
    const ok = await cli("plan", "-f", await named("fresh"));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("3 of 3 pods of fresh fit\n" + ok.stdout.split("\n").slice(1).join("\n"));
    const big = join(tc.dir, "big.yaml");
    await Bun.write(big, (await Bun.file(join(ROOT, "testdata/jobs/hello.yaml")).text()).replace("replica: 3", "replica: 500"));
    const no = await cli("plan", "-f", big);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/would wait: \d+ agents?: /);
  });

  test("scale changes the replica count; services and events list what happened", async () => {
    expect((await cli("scale", id, "2")).code).toBe(0);
    await tc.settle(async () => JSON.parse((await cli("pods", "-j", id, "--json")).stdout).length === 2);
    const services = JSON.parse((await cli("services", id, "--json")).stdout);
    expect(services.length).toBe(2);
    expect(services[0]).toMatchObject({ service: "web" });
    const events = await cli("events", id);
    expect(events.code).toBe(0);
    expect(events.stdout).toContain("placed");
  });
});

describe("update and recover", () => {
  let id = "";
  beforeAll(async () => {
    id = (await cli("submit", "-f", await named("upd"))).stdout.trim();
    await tc.settle(async () => JSON.parse((await cli("pods", "-j", id, "--json")).stdout).filter((p: { state: string }) => p.state === "running").length === 3);
  });

  test("update --watch rolls a new version out in place and ends with exit 0", async () => {
    const v2 = join(tc.dir, "hello-v2.yaml");
    await Bun.write(v2, (await Bun.file(await named("upd")).text()).replace("'hello from '", "'hello v2 from '"));
    const run = cli("update", id, "-f", v2, "--watch");
    const settle = tc.settle(async () => false, 150).catch(() => {}); // keep the simulated workers pulling
    const r = await run;
    await settle;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${id} updating: rebuild 1 -> 2`);
    expect(r.stdout).toContain("3/3 pods on version 2 (done)");
    expect(JSON.parse((await cli("pods", "-j", id, "--json")).stdout).every((p: { version: number }) => p.version === 2)).toBe(true);
  });

  test("recover rebuilds one pod in place; an unknown pod is one sentence and exit 1", async () => {
    const r = await cli("recover", id, `${id}.1`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${id}.1`);
    const bad = await cli("recover", id, `${id}.9`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: no pod /);
  });
});
