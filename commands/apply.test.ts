// apply, history, update --rollback --to N, update --watch alone, plan of an existing job: what the user sees.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { startTestCluster, type TestCluster } from "../src/testing/cluster.ts";
import { runCli } from "../src/testing/run-cli.ts";

setDefaultTimeout(60_000);
const ROOT = join(import.meta.dir, "..");
let tc: TestCluster;
const cli = (...argv: string[]) => runCli(argv, { GALAXY_CONFIG: tc.configPath, HOME: tc.dir });
let v1 = "";
let v2 = "";

beforeAll(async () => {
  tc = await startTestCluster({ agents: 2 });
  await tc.settle();
  const text = (await Bun.file(join(ROOT, "testdata/jobs/hello.yaml")).text()).replace("name: hello", "name: app");
  v1 = join(tc.dir, "app.yaml");
  v2 = join(tc.dir, "app-v2.yaml");
  await Bun.write(v1, text);
  await Bun.write(v2, text.replace("'hello from '", "'hello v2 from '"));
});
afterAll(async () => tc?.stop());

const pods = async (job: string) => JSON.parse((await cli("pods", job, "--json")).stdout) as { id: string; state: string; version: number }[];
const allOn = (job: string, version: number) => async () => {
  const ps = await pods(job);
  return ps.length === 3 && ps.every((p) => p.state === "running" && p.version === version);
};
/** Runs a watching command while the simulated workers keep pulling. */
async function watched(...argv: string[]) {
  const run = cli(...argv);
  const settle = tc.settle(async () => false, 150).catch(() => {});
  const r = await run;
  await settle;
  return r;
}

describe("apply", () => {
  let id = "";
  test("applying the same file twice makes one job; the second says unchanged", async () => {
    const first = await cli("apply", "-f", v1);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^app-\d{8}-\d{4}-[0-9a-f]{4} created\n$/);
    id = first.stdout.split(" ")[0]!;
    await tc.settle(allOn(id, 1));
    expect(await cli("apply", "-f", v1)).toEqual({ code: 0, stdout: `${id} unchanged\n`, stderr: "" });
    const jobs = JSON.parse((await cli("jobs", "--json")).stdout).filter((j: { name: string }) => j.name === "app");
    expect(jobs.length).toBe(1);
  });

  test("submit of a name that exists refuses and points to apply", async () => {
    const r = await cli("submit", "-f", v1);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: job app exists (${id}); change it with \`galaxy apply -f FILE\` or \`galaxy update app -f FILE\`, or remove it first\n`);
  });

  test("plan of a changed file prints the diff and what each pod would get; nothing changes", async () => {
    const r = await cli("plan", "-f", v2);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith(`${id}: rebuild in place\n  - pod.tasks.web.start: `);
    expect(r.stdout).toContain("  + pod.tasks.web.start: \"exec node -e \\\"require('http').createServer((q,s)=>s.end('hello v2 from '");
    expect(r.stdout).toMatch(new RegExp(`POD\\s+WOULD GET\\n${id}\\.0\\s+rebuild in place\\n`));
    const json = JSON.parse((await cli("plan", "-f", v2, "--json")).stdout);
    expect(json.update).toMatchObject({ job: id, change: "rebuild" });
    expect(json.update.pods.length).toBe(3);
    expect(JSON.parse((await cli("job", id, "--json")).stdout).job.version).toBe(1);
  });

  test("apply of a changed file updates in place; update --watch alone attaches to it", async () => {
    const r = await cli("apply", "-f", v2);
    expect(r).toMatchObject({ code: 0, stdout: `${id} updated (rebuild; version 2)\n` });
    const w = await watched("update", "app", "--watch");
    expect(w.code).toBe(0);
    expect(w.stdout).toContain("3/3 pods on version 2 (done)");
    await tc.settle(allOn(id, 2));
    expect((await cli("update", "app", "--watch")).stdout).toMatch(new RegExp(`^${id}: no update in progress; version 2 \\(last: `));
  });

  test("history lists the versions with who and what changed", async () => {
    const r = await cli("history", "app");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^VERSION\s+WHEN\s+WHO\s+CHANGE$/);
    expect(lines[1]).toMatch(/^ 1\s+\d+s ago\s+admin\s+created$/);
    expect(lines[2]).toMatch(/^\*2\s+\d+s ago\s+admin\s+rebuild: pod\.tasks\.web\.start$/);
    const json = JSON.parse((await cli("history", "app", "-o", "json")).stdout);
    expect(json.map((v: { version: number; current: boolean }) => [v.version, v.current])).toEqual([[1, false], [2, true]]);
    expect((await cli("history", "app", "-o", "yaml")).stdout).toContain("- version: 1\n");
  });

  test("update --rollback --to 1 returns to version 1 in place; an unknown version is one sentence", async () => {
    const bad = await cli("update", "app", "--rollback", "--to", "7");
    expect(bad).toMatchObject({ code: 2, stderr: `Error: job ${id} has no version 7; see \`galaxy history app\`\n` });
    const r = await watched("update", "app", "--rollback", "--to", "1", "--watch");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("3/3 pods on version 1 (done)");
    await tc.settle(allOn(id, 1));
    expect((await cli("history", "app")).stdout).toMatch(/\*1\s+\d+s ago\s+admin\s+rollback to 1: pod\.tasks\.web\.start\n$/);
    expect((await cli("update", "app", "--to", "1")).code).toBe(2); // --to needs --rollback
  });
});

describe("one grammar", () => {
  test("pods takes the job as its argument (and -j); jobs, pods and agents take -o json|yaml|wide and --watch", async () => {
    const byArg = JSON.parse((await cli("pods", "app", "--json")).stdout);
    expect(byArg.length).toBe(3);
    expect(JSON.parse((await cli("pods", "-j", "app", "-o", "json")).stdout)).toEqual(byArg.map(() => expect.anything()));
    expect(await cli("pods")).toMatchObject({ code: 2, stderr: "Error: missing JOB; see `galaxy pods --help`\n" });
    const yaml = await cli("pods", "app", "-o", "yaml");
    expect(yaml.stdout).toMatch(/^- /);
    expect(yaml.stdout).toMatch(/\n {2}id: app-\S+\.0\n/);
    const wide = (await cli("pods", "app", "-o", "wide")).stdout.split("\n")[0]!;
    expect(wide).toMatch(/^POD\s+AGENT\s+STATUS.*\s+STARTED\s+PORTS\s+CONTAINER\s+TASKS$/);
    expect((await cli("pods", "app")).stdout.split("\n")[0]).not.toContain("PORTS");
    expect((await cli("jobs", "-o", "wide")).stdout.split("\n")[0]).toMatch(/CREATED\s+VERSION\s+MESSAGE$/);
    const watch = await cli("jobs", "--watch", "--watch-rounds", "2");
    expect(watch.code).toBe(0);
    expect(watch.stdout.match(/^ID\s+NAME/gm)?.length).toBe(1); // printed again only when it changes
    const aw = await cli("agents", "--watch", "--watch-rounds", "1", "--json");
    expect(JSON.parse(aw.stdout.trim()).length).toBe(2); // one compact JSON line per change
    expect((await cli("services", "app", "-o", "yaml")).stdout).toContain("service: web");
  });

  test("events of an unknown job exit 1; events --help is whole; config KEY prints the value", async () => {
    expect(await cli("events", "nosuch")).toMatchObject({ code: 1, stderr: 'Error: no job "nosuch"\n' });
    expect((await cli("events", "app")).code).toBe(0);
    const help = (await cli("events", "--help")).stdout.replace(/\s+/g, " ");
    expect(help).toContain("Placements, deploys, starts, exits with their reason, restarts, update steps, preemptions, failovers");
    expect(await cli("config", "user")).toEqual({ code: 0, stdout: "admin\n", stderr: "" });
    expect((await cli("config", "token")).stdout).toBe("(set)\n");
    expect((await cli("config", "nope")).code).toBe(2);
  });
});

describe("waits that end", () => {
  test("submit --wait that times out says why the pods are not up", async () => {
    const big = join(tc.dir, "big.yaml");
    await Bun.write(big, (await Bun.file(v1).text()).replace("name: app", "name: big").replace("millicores: 100", "millicores: 64000"));
    const r = await cli("submit", "-f", big, "--wait", "--timeout", "1s");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: big-\S+: timed out after 1 s; 3 pending: [^;]*cpu[^;]* \(3 pods\)\n$/);
    await cli("remove", "big");
  });
});

describe("contexts and completion", () => {
  test("set-context, --context, use-context and get-contexts pick the cluster", async () => {
    const cfg = join(tc.dir, "ctx-config");
    await Bun.write(cfg, await Bun.file(tc.configPath).text());
    const c = (...argv: string[]) => runCli(argv, { GALAXY_CONFIG: cfg, HOME: tc.dir });
    expect((await c("config", "set-context", "far", "--server", "127.0.0.1:1", "--user", "admin", "--token", "x")).stdout).toBe(`context far added in ${cfg}\n`);
    expect((await c("jobs", "--context", "far")).stderr).toStartWith("Error: no AppMaster at 127.0.0.1:1");
    expect((await c("jobs")).code).toBe(0); // still the default
    expect(await c("config", "use-context", "far")).toMatchObject({ code: 0, stdout: "now using context far\n" });
    expect((await c("jobs")).stderr).toStartWith("Error: no AppMaster at 127.0.0.1:1");
    expect((await c("config", "get-contexts")).stdout).toMatch(/^CONTEXT\s+APPMASTER\s+CLUSTER DIR\s+USER\n default\s+127\.0\.0\.1:\d+\s+\S+\s+admin\n\*far\s+127\.0\.0\.1:1\s+-\s+admin\n$/);
    expect(await c("config", "use-context", "nope")).toMatchObject({ code: 2, stderr: 'Error: no context "nope"; known: default, far; add one with `galaxy config set-context`\n' });
    expect((await c("jobs", "--context", "nope")).code).toBe(2);
    await c("config", "use-context", "default");
    expect((await c("jobs")).code).toBe(0);
  });

  test("completion ids lists job names and ids, pod ids and agent endpoints", async () => {
    const jobs = (await cli("completion", "ids", "job")).stdout.split("\n");
    expect(jobs).toContain("app");
    const pods = (await cli("completion", "ids", "pod")).stdout.split("\n");
    expect(pods.filter((p) => /^app-\S+\.\d$/.test(p)).length).toBe(3);
    expect((await cli("completion", "ids", "agent")).stdout.trim().split("\n").length).toBe(2);
    expect((await cli("completion", "fish")).stdout).toContain("-a '(galaxy completion ids job 2>/dev/null)'");
  });
});
