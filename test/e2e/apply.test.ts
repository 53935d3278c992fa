// The declarative loop with the compiled executable and real pods: apply the same file twice (one job), apply a
// changed one (an in-place update, watched with `update --watch`), history, roll back to version 1; Ctrl-C during a
// wait leaves the job going on.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { spawnSync, type ChildProcess } from "node:child_process";
import { GALAXY, httpGet, ROOT, startUp, stopChild, stopUp, waitFor, World } from "./harness.ts";

setDefaultTimeout(120_000); // e2e: every wait below has its own deadline

describe("apply, update --watch, history, rollback --to 1", () => {
  const w = new World();
  let up: ChildProcess;
  const v1 = join(ROOT, "testdata/jobs/hello.yaml");
  const v2 = join(ROOT, "testdata/jobs/hello-v2.yaml");
  let id = "";
  const answers = async () => Promise.all(w.json(["pods", "hello"]).map((p: { ports: { port: number }[] }) => httpGet(p.ports[0]!.port)));

  beforeAll(async () => {
    ({ up } = await startUp(w, 2));
  });

  afterAll(async () => {
    await stopUp(w, up);
  });

  test("the command galaxy up suggests works as printed; the same file applied twice makes one job", () => {
    const tried = /Try: (\S+) (apply -f \S+ --watch)\n/.exec(w.log("up"));
    expect(tried).not.toBeNull();
    expect(tried![1]).toBe(GALAXY); // not on PATH here: its full path
    const r = spawnSync(tried![1]!, tried![2]!.split(" "), { env: w.env, cwd: w.dir, encoding: "utf8", timeout: 120_000 });
    const first = { code: r.status, stdout: r.stdout };
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^hello-\d{8}-\d{4}-[0-9a-f]{4} created\n$/);
    id = first.stdout.split(" ")[0]!;
    expect(w.run(["apply", "-f", v1])).toMatchObject({ code: 0, stdout: `${id} unchanged\n` });
    expect(w.json(["jobs"]).map((j: { id: string }) => j.id)).toEqual([id]);
  });

  test("a changed file is an in-place update, watched with update --watch; pods keep their containers", async () => {
    const before = w.json(["pods", "hello"]).map((p: { containerId: string; agent: string }) => `${p.containerId}@${p.agent}`).sort();
    const plan = w.run(["plan", "-f", v2]);
    expect(plan.stdout).toStartWith(`${id}: rebuild in place\n`);
    expect(w.run(["apply", "-f", v2])).toMatchObject({ code: 0, stdout: `${id} updated (rebuild; version 2)\n` });
    const watch = w.run(["update", "hello", "--watch"]);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toContain("3/3 pods on version 2 (done)");
    expect((await answers()).every((a) => a.startsWith("hello v2 from "))).toBe(true);
    const after = w.json(["pods", "hello"]).map((p: { containerId: string; agent: string }) => `${p.containerId}@${p.agent}`).sort();
    expect(after).toEqual(before);
  });

  test("history lists both versions; rollback --to 1 returns to version 1 in place", async () => {
    const h = w.run(["history", "hello"]).stdout.split("\n");
    expect(h[1]).toMatch(/^ 1\s+.*\s+admin\s+created$/);
    expect(h[2]).toMatch(/^\*2\s+.*\s+admin\s+rebuild: pod\.tasks\.web\.start$/);
    const r = w.run(["update", "hello", "--rollback", "--to", "1", "--watch"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("3/3 pods on version 1 (done)");
    expect((await answers()).every((a) => a.startsWith("hello from "))).toBe(true);
    expect(w.run(["history", "hello"]).stdout).toMatch(/\*1\s+.*\s+admin\s+rollback to 1: pod\.tasks\.web\.start\n$/);
    expect(w.json(["jobs"]).length).toBe(1);
  });

  test("logs --timestamps and --since read the worker's index of when each line was written", async () => {
    const pod = w.json(["pods", "hello"])[0].id as string;
    await waitFor("the index to have sampled the log", () => /^\d{4}-\d\d-\d\dT\S+Z listening on \d+$/m.test(w.run(["logs", pod, "--timestamps"]).stdout), 10_000);
    expect(w.run(["logs", pod, "--since", "1h"]).stdout).toContain("listening on ");
    expect(w.run(["logs", pod, "--since", "2099-01-01T00:00:00Z"])).toMatchObject({ code: 0, stdout: "" });
    expect(w.run(["logs", pod, "--since", "5x"]).code).toBe(2);
  });

  test("logs --previous reads a restarted task's last run; the current log holds only the new run", async () => {
    const file = join(w.dir, "crashy.yaml");
    await Bun.write(file, [
      "name: crashy", "type: service", "deploy:", "  replica: 1", "  pools: [default]", "  restart: {attempts: 10, delay: 1s}", "pod:", "  tasks:",
      "    - name: main", "      cpu: {millicores: 100}", "      memory: {size: 64M}", `      start: "echo run at $(date +%s%N); sleep 2; exit 1"`, "",
    ].join("\n"));
    expect(w.run(["submit", "-f", file]).code).toBe(0);
    await waitFor("a restart", () => (w.json(["pods", "crashy"])[0]?.restarts ?? 0) >= 1 && /run at/.test(w.run(["logs", "crashy.0"]).stdout), 60_000);
    const prev = w.run(["logs", "crashy.0", "--previous"]);
    expect(prev.code).toBe(0);
    expect(prev.stdout).toMatch(/^run at \d+\n$/);
    const now = w.run(["logs", "crashy.0"]).stdout;
    expect(now).toMatch(/^run at \d+\n$/);
    expect(now).not.toBe(prev.stdout);
    expect(w.run(["remove", "crashy"]).code).toBe(0);
  });

  test("exec runs a command in the pod as its task user: reads a workspace file, returns its exit code", () => {
    const pod = w.json(["pods", "hello"])[0].id as string;
    const cat = w.run(["exec", "hello.0", "--", "cat", "logs/web.out"]); // <job name>.<index> names a pod
    expect(cat.code).toBe(0);
    expect(cat.stdout).toContain("listening on ");
    expect(w.run(["exec", pod, "--", "sh", "-c", "echo out; echo err >&2; exit 3"])).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" });
    const uid = w.run(["exec", pod, "--", "id", "-u"]).stdout.trim();
    if (process.getuid?.() === 0) expect(Number(uid)).toBeGreaterThan(0); // the task's uid, not root
    // in the pod's pid namespace (when the agent gives one): the command sees the pod's processes only
    const ps = w.run(["exec", pod, "--", "sh", "-c", "ls /proc | grep -c '^[0-9]'"]).stdout.trim();
    if (process.getuid?.() === 0) expect(Number(ps)).toBeLessThan(50);
    expect(w.run(["exec", pod, "-i", "--", "cat"], { input: "piped\n" }).stdout).toBe("piped\n");
    expect(w.run(["exec", pod, "--timeout", "1s", "--", "sleep", "30"]).code).toBe(124);
    expect(w.run(["exec", pod]).stderr).toBe("Error: give the command after --: galaxy exec POD -- CMD…\n");
  });

  test("exec on a terminal gets a terminal in the pod: keystrokes in, the screen out, its exit code", () => {
    // script(1) gives `galaxy exec` a terminal here, as a person's would be
    const cmd = `${GALAXY} exec hello.0 -- sh -c 'tty; read line; echo "got $line"; exit 5'`;
    const r = spawnSync("script", ["-qfec", cmd, "/dev/null"], { env: w.env, cwd: w.dir, input: "typed\n", encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(5);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.stdout).toContain("got typed");
  });

  test("Ctrl-C during a wait says the job goes on, and it does", async () => {
    const big = join(w.dir, "big.yaml");
    await Bun.write(big, (await Bun.file(v1).text()).replace("name: hello", "name: big").replace("millicores: 100", "millicores: 64000"));
    const c = w.start("wait", ["apply", "-f", big, "--watch"]);
    await waitFor("the wait to start", () => w.log("wait").includes("0/3 running"), 30_000);
    const code = await stopChild(c, "SIGINT", 10_000);
    expect(code).toBe(130);
    expect(w.log("wait")).toMatch(/Stopped watching; job big-\S+ goes on \(nothing was cancelled\)\. Watch it again with `galaxy pods big-\S+ --watch`/);
    expect(w.json(["jobs"]).some((j: { name: string }) => j.name === "big")).toBe(true);
    expect(w.run(["remove", "big"]).code).toBe(0);
  });
});
