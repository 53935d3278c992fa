// A tenant (a user who may only submit in pool default) against the control plane, with the compiled executable:
// its job attacks from inside its container (another pod's report, ResMan's SyncGroups) and writes what happened to
// its log; from outside it lists, guesses prefixes, sends oversized and deeply nested descriptions, empty ids and bad
// flags; the admin revokes and re-grants, removes and re-adds it. Every attempt fails with one sentence, every change
// of grants applies to the very next call, and the admin's service keeps its pid and answers throughout.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHmac } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { freeAgentPorts, freePortBase, httpGet, requireBinary, ROOT, stopChild, waitFor, World, type RunResult } from "./harness.ts";

setDefaultTimeout(120_000); // e2e: every wait below has its own deadline

interface Pod {
  id: string;
  state: string;
  ports: { name: string; port: number }[];
  tasks: { pid: number }[];
}

const ATTACK = (am: string, rm: string, victimPod: string, victimJob: string) => `
const fs = require("fs");
function ancestors() {
  const pids = [1];
  let pid = process.ppid;
  for (let i = 0; i < 8 && pid > 1; i++) {
    pids.push(pid);
    try { pid = Number(/PPid:\\s+(\\d+)/.exec(fs.readFileSync("/proc/" + pid + "/status", "utf8"))[1]); } catch { break; }
  }
  return pids;
}
function environs() {
  const all = [JSON.stringify(process.env)];
  for (const p of ancestors()) try { all.push(fs.readFileSync("/proc/" + p + "/environ", "utf8")); } catch {}
  return all.join("\\n");
}
function workerToken() {
  const m = /GALAXY_POD_TOKEN=([0-9a-f]+)/.exec(environs());
  return m ? m[1] : "";
}
async function post(addr, method, body, headers) {
  try {
    const r = await fetch("http://" + addr + "/rpc/" + method, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const t = await r.text();
    let code = "OK";
    try { code = JSON.parse(t).code || "OK"; } catch {}
    return r.status + " " + code;
  } catch (e) { return "unreachable " + e.message; }
}
(async () => {
  const token = workerToken();
  console.log("ATTACK token-found: " + (token ? "yes" : "no"));
  const report = { containerId: process.env.GALAXY_CONTAINER_ID, podId: ${JSON.stringify(victimPod)}, jobId: ${JSON.stringify(victimJob)}, token, state: "failed", agent: process.env.GALAXY_AGENT || "", message: "pwned" };
  console.log("ATTACK fetchtask-victim: " + await post(${JSON.stringify(am)}, "AppMaster/FetchTask", report, {}));
  let secret = "";
  try { secret = fs.readFileSync((process.env.GALAXY_CLUSTER_DIR || "/nonexistent") + "/secret", "utf8").trim(); } catch {}
  console.log("ATTACK secret-found: " + (secret ? "yes" : "no"));
  console.log("ATTACK syncgroups-empty: " + await post(${JSON.stringify(rm)}, "ResMan/SyncGroups", {}, secret ? { "x-galaxy-secret": secret } : {}));
  console.log("ATTACK environ: " + Buffer.from(environs()).toString("base64"));
  console.log("ATTACK done");
})();
`;

const job = (name: string, start: string) => `name: ${name}
type: service
deploy: {replica: 1, pools: [default]}
pod:
  tasks:
    - name: main
      cpu: {millicores: 100}
      memory: {size: 64M}
      start: ${start}
`;

describe("a tenant cannot hurt another user's service or the cluster through the control plane", () => {
  const w = new World();
  let up: ChildProcess;
  const g = () => join(w.dir, "g");
  const leader = (role: string): string => JSON.parse(readFileSync(join(g(), "cluster", `${role}.leader`), "utf8")).addr;
  const secret = () => readFileSync(join(g(), "cluster", "secret"), "utf8").trim();
  let token = "";
  const as = (t: string, args: string[]): RunResult => w.run([...args, "--user", "tenant", "--token", t]);
  const tenant = (...args: string[]) => as(token, args);
  let victim = { job: "", pod: "", pid: 0, port: 0 };
  const answers = { ok: 0, failed: 0 };
  let stopAsking = false;
  let asking: ReturnType<typeof setTimeout> | undefined;
  const victimPod = (): Pod => (w.json(["pods", "-j", victim.job]) as Pod[])[0]!;
  const file = (name: string, text: string) => {
    const p = join(w.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const post = async (addr: string, method: string, body: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(`http://${addr}/rpc/${method}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const reply = (await r.json()) as { code?: string; message?: string };
    return `${r.status} ${reply.code ?? "OK"}: ${reply.message ?? ""}`;
  };

  beforeAll(async () => {
    requireBinary();
    const base = await freePortBase(20);
    up = w.start("up", ["up", "--dir", g(), "--agents", "1", "--port", String(base), "--ports-from", String(await freeAgentPorts(1))]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
    const hello = readFileSync(join(ROOT, "testdata/jobs/hello.yaml"), "utf8").replace("replica: 3", "replica: 1");
    const r = w.run(["submit", "-f", file("victim.yaml", hello), "--wait", "--timeout", "90s"]);
    expect(r.code).toBe(0);
    victim.job = r.stdout.trim();
    const p = victimPod();
    victim = { ...victim, pod: p.id, pid: p.tasks[0]!.pid, port: p.ports[0]!.port };
    expect(await httpGet(victim.port)).toBe(`hello from ${victim.pod}\n`);
    // the victim answers throughout: asked every 300 ms until the last test
    const ask = async () => {
      const ok = await httpGet(victim.port).then((b) => b === `hello from ${victim.pod}\n`, () => false);
      answers[ok ? "ok" : "failed"]++;
      if (!stopAsking) asking = setTimeout(() => void ask(), 300);
    };
    void ask();
    token = w.run(["user", "add", "tenant"]).stdout.split("\n")[1]!;
    expect(w.run(["grant", "tenant", "--pool", "default", "--allow", "submit"]).code).toBe(0);
  });

  afterAll(async () => {
    stopAsking = true;
    clearTimeout(asking);
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  test("its job's attacks from inside its container all fail, and say so in its log", async () => {
    const script = ATTACK(leader("appmaster"), leader("resman"), victim.pod, victim.job);
    const start = `|\n        cat > attack.js <<'EOF'\n${script.split("\n").map((l) => `        ${l}`).join("\n")}\n        EOF\n        node attack.js; exec sleep 100000`;
    const r = tenant("submit", "-f", file("attack.yaml", job("attack", start)));
    expect(r.stderr).toBe("");
    const id = r.stdout.trim();
    const log = await waitFor("the attack to finish", () => {
      const pods = as(token, ["pods", "-j", id, "--json"]);
      const pod = pods.code === 0 ? (JSON.parse(pods.stdout) as Pod[])[0] : undefined;
      const out = pod?.state === "running" ? tenant("logs", pod.id).stdout : "";
      return out.includes("ATTACK done") ? out : "";
    }, 90_000, 500);
    const said = Object.fromEntries([...log.matchAll(/^ATTACK ([\w-]+): (.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(["403 PERMISSION_DENIED", "401 UNAUTHENTICATED"]).toContain(said["fetchtask-victim"]);
    expect(["409 STALE_EPOCH", "401 UNAUTHENTICATED"]).toContain(said["syncgroups-empty"]);
    expect(victimPod().state).toBe("running");
    expect(w.run(["jobs", "--json"]).stdout).toContain(victim.job);
    // the secret is handed to no process of the container: not in the task's environment, nor its worker's
    const environ = Buffer.from(said.environ ?? "", "base64").toString();
    expect(environ).toContain("GALAXY_CONTAINER_ID");
    expect(environ).not.toContain(secret());
    expect(environ).not.toContain("GALAXY_SECRET");
  });

  test("with the secret, SyncGroups {} (no AppMaster epoch) is refused and removes no group", async () => {
    expect(await post(leader("resman"), "ResMan/SyncGroups", {}, { "x-galaxy-secret": secret() })).toBe(
      "409 STALE_EPOCH: epoch 0 is older than epoch 1 already seen",
    );
    const groups = JSON.parse(w.run(["containers", victim.job, "--json"]).stdout);
    expect(JSON.stringify(groups)).toContain(victim.pod);
  });

  test("its own pod's token cannot report for the victim's pod", async () => {
    const own = (JSON.parse(tenant("jobs", "--json").stdout) as { id: string }[])[0]!.id;
    const ownPod = `${own}.0`;
    const tokenOf = createHmac("sha256", secret()).update(ownPod).digest("hex");
    const report = { containerId: ownPod, podId: victim.pod, jobId: victim.job, token: tokenOf, state: "failed", message: "pwned" };
    expect(await post(leader("appmaster"), "AppMaster/FetchTask", report)).toBe(
      `403 PERMISSION_DENIED: the pod token of container ${ownPod} may report only for pod ${ownPod} of job ${own}, not for pod ${victim.pod} of job ${victim.job}`,
    );
    expect(victimPod().state).toBe("running");
  });

  test("listings and errors show only its own jobs", () => {
    const all = JSON.parse(tenant("jobs", "--all", "--json").stdout) as { id: string; user: string }[];
    expect(all.map((j) => j.user)).toEqual(["tenant"]);
    expect(tenant("job", "hello")).toMatchObject({ code: 1, stderr: 'Error: no job "hello"\n' });
    expect(tenant("job", victim.job).stderr).toBe("Error: user tenant may not list in pool default\n");
  });

  test("cheap checks: oversized and deeply nested descriptions, long commands, empty ids and bad flags", () => {
    const deep = file("deep.json", "[".repeat(1_000_000) + "]".repeat(1_000_000));
    expect(tenant("submit", "-f", deep)).toMatchObject({ code: 2, stderr: "Error: deep.json: the job description is 2000000 bytes; the limit is 1 MiB\n" });
    const nested = file("nested.yaml", `name: x\nextra: ${"[".repeat(100)}${"]".repeat(100)}\n`);
    expect(tenant("submit", "-f", nested).stderr).toBe("Error: nested.yaml: the job description nests deeper than 64 levels\n");
    const long = file("long.yaml", job("long", `"${"x".repeat(100 * 1024)}"`));
    expect(tenant("submit", "-f", long).stderr).toBe("Error: pod.tasks[0].start is 102400 bytes; the limit is 64 KiB\n");
    const jobs = () => (JSON.parse(w.run(["jobs", "--json"]).stdout) as unknown[]).length;
    const before = jobs();
    expect(w.run(["remove", ""])).toMatchObject({ code: 2, stderr: "Error: the job argument is empty; give a job id or name\n" });
    const r = tenant("submit", "-f", file("ok.yaml", job("ok", "exec sleep 1000")), "--wait", "--timeout", "5x");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("Error: --timeout: '5x' is not a duration; use a number with ms, s, m or h, e.g. 30s, 5m or 1h30m\n");
    expect(jobs()).toBe(before);
  });

  test("a grant taken or given, and a user removed and added again, apply to the very next call", async () => {
    const ok = file("ok.yaml", job("ok", "exec sleep 1000"));
    expect(w.run(["grant", "tenant", "--pool", "default", "--allow", "submit", "--revoke"]).code).toBe(0);
    expect(tenant("submit", "-f", ok).stderr).toBe("Error: user tenant may not submit in any pool\n");
    expect(w.run(["grant", "tenant", "--pool", "default", "--allow", "submit"]).code).toBe(0);
    const accepted = tenant("submit", "-f", ok);
    expect(accepted.code).toBe(0);
    expect(w.run(["remove", accepted.stdout.trim()]).code).toBe(0);
    expect(w.run(["user", "remove", "tenant"]).code).toBe(0);
    expect(tenant("jobs").stderr).toStartWith("Error: missing or invalid credentials");
    // its jobs remain, so no one may take its name (and own them) until they are gone
    const refused = w.run(["user", "add", "tenant"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: jobs of a removed user tenant remain \(attack-[^)]*\); remove them before adding tenant again\n$/);
    expect(w.run(["remove", "attack"]).code).toBe(0);
    const added = await waitFor("the removed user's jobs to be gone", () => {
      const r = w.run(["user", "add", "tenant"]);
      return r.code === 0 ? r : null;
    }, 60_000, 1000);
    const again = added.stdout.split("\n")[1]!;
    expect(tenant("jobs").code).toBe(1); // the old token stays refused
    expect(as(again, ["submit", "-f", ok]).stderr).toBe("Error: user tenant may not submit in any pool\n");
  });

  test("the admin's service kept its pid and answered throughout", async () => {
    const p = victimPod();
    expect([p.state, p.tasks[0]!.pid]).toEqual(["running", victim.pid]);
    expect(await httpGet(victim.port)).toBe(`hello from ${victim.pod}\n`);
    stopAsking = true;
    expect(answers.failed).toBe(0);
    expect(answers.ok).toBeGreaterThan(3);
  });
});
