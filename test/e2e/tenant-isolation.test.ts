// A tenant (a user with `submit` in one pool) runs a job whose task tries, from inside its container, every attack that
// worked when tasks ran as root: Galaxy's tokens, the cluster secret (directly, by unmounting what hides it, through
// the worker's fd of the host's /proc), the agent's command line and environment, the worker's pod credential, other
// workspaces, the root memory cgroup, its own limits, the host's /etc, another user's process. Each attempt writes one
// line to the task's log, read back with `galaxy logs`: every one is blocked, while the task really runs (not uid 0,
// no capabilities, its workspace and volume writable) and another user's service keeps its pids and answers HTTP.
// Then a task over its 64M is reported `killed: out of memory (limit 64M)`, and its worker (outside the limit) lives.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeAgentPorts, freePortBase, processesMentioning, requireBinary, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(180_000);

const isRoot = process.getuid?.() === 0;
const V1 = "/sys/fs/cgroup";
const hasV1 = isRoot && existsSync(`${V1}/memory/cgroup.procs`) && Bun.which("setpriv") !== null;
const ETC_PROBE = "/etc/galaxy-tenant-e2e";

interface PodView {
  id: string;
  state: string;
  restarts: number;
  lastError: string;
  ports: unknown;
  usage: { memoryRss: number };
  tasks: { name: string; message: string; state: string; pid: number }[];
}

/** The attacks, each a shell command that prints evidence and exits 0 only when it got through. */
function attacks(v: { w: string; agentPid: number; victimPod: string; victimPid: number; key: string }): Record<string, string> {
  const g = `${v.w}/g`; // galaxy up --dir
  const c = `${g}/cluster`;
  const d = `${g}/agent-0`;
  const procs = `$(ls /proc | grep -E '^[0-9]+$')`;
  return {
    "admin-token": `cat ${g}/admin-token`,
    "client-config-token": `cat ${v.w}/.galaxy/config`,
    "cluster-secret": `cat ${c}/secret`,
    "secret-by-unmount": `umount ${c}/secret 2>/dev/null; umount -l ${v.w} 2>/dev/null; umount -l ${g} 2>/dev/null; umount -l ${c} 2>/dev/null; cat ${c}/secret`,
    "secret-via-worker-fd9": `for p in ${procs}; do cat /proc/$p/fd/9/${v.agentPid}/root${c}/secret 2>/dev/null && exit 0; ls /proc/$p/fd/9/ 2>/dev/null | grep . && exit 0; done; exit 1`,
    "own-fd9": `ls /proc/self/fd/9/ && ls /proc/$$/fd/8/`,
    "other-uids-fds": `me=$(id -u); for p in ${procs}; do [ "$(stat -c %u /proc/$p)" = "$me" ] && continue; ls /proc/$p/fd 2>/dev/null | grep . && exit 0; done; exit 1`,
    "agent-cmdline": `tr '\\0' ' ' < /proc/${v.agentPid}/cmdline | grep -- agent`,
    "agent-environ": `tr '\\0' '\\n' < /proc/${v.agentPid}/environ | grep GALAXY`,
    "secrets-in-other-procs": `me=$(id -u); for p in ${procs}; do [ "$(stat -c %u /proc/$p)" = "$me" ] && continue; cat /proc/$p/cmdline /proc/$p/environ 2>/dev/null | tr '\\0' '\\n' | grep -E -- '--secret|GALAXY_SECRET|GALAXY_POD_TOKEN' && exit 0; done; exit 1`,
    "pod-token-in-env": `env | grep -E 'GALAXY_POD_TOKEN|GALAXY_HOST_PROC|GALAXY_CLUSTER_DIR'`,
    "worker-environ": `for p in ${procs}; do tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep GALAXY_POD_TOKEN && exit 0; done; exit 1`,
    "other-workspaces": `ls ${d}/containers | grep -vx "$GALAXY_CONTAINER_ID"; ls ${d}/containers/${v.victimPod} | grep .`,
    "agent-state": `ls ${d}/state | grep .`,
    "cluster-dir": `ls ${c} | grep .`,
    "galaxy-dir": `ls ${g}/appmaster ${g}/resman ${g}/logs | grep .`,
    "root-memory-cgroup": `echo $$ > ${V1}/memory/cgroup.procs && echo moved`,
    "raise-own-limit": `echo 8589934592 > ${V1}/memory/galaxy/${v.key}/$GALAXY_CONTAINER_ID/memory.limit_in_bytes && echo raised`,
    "host-etc": `echo pwned > ${ETC_PROBE} && echo wrote`,
    "kill-other-users-task": `kill -9 ${v.victimPid} && echo killed`,
    "nsenter-init": `nsenter -t 1 -m -p cat ${c}/secret`,
    "user-namespace-unmount": `unshare -Urm sh -c 'umount -l ${v.w} || umount -l ${g}; cat ${c}/secret ${g}/admin-token'`,
    "setuid-binary": `su -c 'cat ${c}/secret' root </dev/null`,
    "mount": `mount -t tmpfs galaxy-e2e /tmp && echo mounted`,
  };
}

function attackScript(list: Record<string, string>): string {
  const lines = [
    `attempt() { if out=$(sh -c "$2" 2>&1) && [ -n "$out" ]; then echo "ATTACK $1: SUCCEEDED $(printf %s "$out" | head -c 160 | tr '\\n' ' ')"; else echo "ATTACK $1: blocked"; fi; }`,
    `echo "uid: $(id -u) gid: $(id -g)"`,
    `grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status`,
    `echo mine > own.txt && echo "own-workspace: $(cat own.txt)"`,
    `echo mine > "$GALAXY_WORKSPACE/own2.txt" && echo "own-workspace-by-path: ok"`,
    `echo v > /tenant-scratch/x && echo "own-volume: $(cat /tenant-scratch/x)"`,
    ...Object.entries(list).map(([name, cmd]) => `attempt ${name} ${shq(cmd)}`),
    `echo DONE`,
    `exec sleep 1000000`,
  ];
  return lines.join("\n");
}

const shq = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

describe.skipIf(!hasV1)("tenant isolation: a tenant's task cannot reach Galaxy or another user", () => {
  const w = new World();
  delete w.env.GALAXY_NAMESPACES;
  let up: ChildProcess | null = null;
  let base = 0;
  let token = "";
  const key = () => `127.0.0.1_${base + 10}`;
  const cgroupProcs = (name: string) => readFileSync(`${V1}/memory/galaxy/${key()}/${name}/cgroup.procs`, "utf8").split("\n").filter(Boolean).map(Number).sort();
  const asTenant = (args: string[]) => w.run([...args, "--user", "tenant", "--token", token]);
  const pods = (id: string): PodView[] => w.json(["pods", "-j", id]);
  const runningPod = (id: string) => waitFor(`a running pod of ${id}`, () => pods(id).find((p) => p.state === "running"), 90_000);
  const jobFile = (name: string, spec: object) => {
    const f = join(w.dir, `${name}.json`);
    writeFileSync(f, JSON.stringify({ name, type: "service", deploy: { replica: 1, pools: ["default"] }, ...spec }));
    return f;
  };

  beforeAll(async () => {
    requireBinary();
    // open to others (a temp dir is 0700): what hides galaxy up's --dir is the agent's --hide, not the directory's mode
    chmodSync(w.dir, 0o755);
    base = await freePortBase(20);
    up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", "1", "--cpu", "2", "--memory", "2G", "--port", String(base), "--ports-from", String(await freeAgentPorts(1)), "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
    token = w.run(["user", "add", "tenant"]).stdout.split("\n")[1]!.trim();
    expect(w.run(["grant", "tenant", "--pool", "default", "--allow", "submit"]).code).toBe(0);
  }, 90_000);

  afterAll(async () => {
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  test("every attack from inside the container fails; the task runs unprivileged; another user's service is untouched", async () => {
    expect(w.json(["agent", "show", `127.0.0.1:${base + 10}`]).agent.isolation).toBe("cgroup-v1"); // nothing degraded here
    expect(w.run(["agent", "show", `127.0.0.1:${base + 10}`]).stdout).toContain("isolation cgroup-v1,");
    const victim = w.run(["submit", "-f", jobFile("victim", {
      pod: { tasks: [{ name: "web", cpu: { millicores: 100 }, memory: { size: "64M" }, ports: [{ name: "http", port: "dynamic" }],
        start: `exec python3 -m http.server $GALAXY_PORT_HTTP`, health: { port: "http" } }] },
    })]).stdout.trim();
    const vpod = await runningPod(victim);
    await waitFor("the victim to be healthy", () => pods(victim)[0]?.tasks[0]?.state === "running" && cgroupProcs(vpod.id).length > 0, 60_000);
    const port = Number(JSON.stringify(pods(victim)[0]!.ports).match(/\d{4,5}/)![0]);
    const answers = async () => (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) })).ok;
    await waitFor("the victim to answer HTTP", answers, 30_000);
    const victimProcs = { tasks: cgroupProcs(vpod.id), worker: cgroupProcs(`_workers/${vpod.id}`) };
    const agentPid = processesMentioning(`127.0.0.1:${base + 10}`).find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("\0agent\0"))!;
    expect(agentPid).toBeGreaterThan(0);

    // HTTP to the victim every half second for as long as the attacks run
    const failures: string[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        try {
          if (!(await answers())) failures.push("not ok");
        } catch (e) {
          failures.push((e as Error).message);
        }
        await Bun.sleep(500);
      }
    })();

    const list = attacks({ w: w.dir, agentPid, victimPod: vpod.id, victimPid: victimProcs.tasks[0]!, key: key() });
    const sub = asTenant(["submit", "-f", jobFile("attacker", {
      pod: {
        volumes: [{ path: "/tenant-scratch", size: "8M", medium: "tmpfs" }],
        tasks: [{ name: "probe", cpu: { millicores: 200 }, memory: { size: "64M" }, start: attackScript(list) }],
      },
    })]);
    expect(sub).toMatchObject({ code: 0 });
    const attacker = sub.stdout.trim();
    const apod = await runningPod(attacker);
    const log = await waitFor("the attack log", () => {
      const r = w.run(["logs", apod.id]); // (the tenant has no `list` grant, which reading logs needs)
      return r.code === 0 && r.stdout.includes("DONE") ? r.stdout : null;
    }, 90_000);
    probing = false;
    await prober;

    const line = (k: string) => log.split("\n").find((l) => l.startsWith(`${k}:`)) ?? `${k}: (missing)`;
    // the task really ran, unprivileged, and could write what is its own
    expect(line("uid")).toMatch(/^uid: (\d+) gid: \1$/);
    expect(Number(line("uid").split(" ")[1])).toBeGreaterThanOrEqual(1_000_000);
    expect(line("CapEff")).toBe("CapEff:\t0000000000000000");
    expect(line("CapBnd")).toBe("CapBnd:\t0000000000000000");
    expect(line("NoNewPrivs")).toBe("NoNewPrivs:\t1");
    expect(line("own-workspace")).toBe("own-workspace: mine");
    expect(line("own-workspace-by-path")).toBe("own-workspace-by-path: ok");
    expect(line("own-volume")).toBe("own-volume: v");
    // every attack was tried, and blocked
    const results = log.split("\n").filter((l) => l.startsWith("ATTACK "));
    expect(results.map((l) => l.slice(7, l.indexOf(":")))).toEqual(Object.keys(list));
    expect(results.filter((l) => !l.endsWith(": blocked"))).toEqual([]);
    expect(existsSync(ETC_PROBE)).toBe(false);
    // the other user's service kept its processes and answered throughout
    expect({ tasks: cgroupProcs(vpod.id), worker: cgroupProcs(`_workers/${vpod.id}`) }).toEqual(victimProcs);
    expect(failures).toEqual([]);
    expect(pods(victim)[0]).toMatchObject({ id: vpod.id, state: "running", restarts: 0 });
    // the pod's usage is its tasks' (python's), not its worker's: were the worker charged, the pod would use more
    const podRss = await waitFor("the victim's memory usage", () => pods(victim)[0]?.usage.memoryRss || null, 30_000);
    // (with GALAXY_HOST_WORKER=1 the worker is the agent's host worker, in galaxy/<agent>/_worker: only the init and
    // the task's launcher are the container's own)
    const hostWorker = existsSync(`${V1}/memory/galaxy/${key()}/_worker`);
    const workerCgroup = hostWorker ? "_worker" : `_workers/${vpod.id}`;
    const workerRss = Number(/^rss (\d+)$/m.exec(readFileSync(`${V1}/memory/galaxy/${key()}/${workerCgroup}/memory.stat`, "utf8"))![1]);
    expect(podRss).toBeLessThan(workerRss);
    expect(cgroupProcs(`_workers/${apod.id}`).length).toBeGreaterThanOrEqual(hostWorker ? 1 : 3);
  });

  test("a task over its 64M is killed: out of memory (limit 64M); its worker, outside the limit, lives on", async () => {
    const sub = asTenant(["submit", "-f", jobFile("hog", {
      deploy: { replica: 1, pools: ["default"], restart: { attempts: 5, delay: "3s", max_delay: "3s" } },
      pod: { tasks: [{ name: "hog", cpu: { millicores: 100 }, memory: { size: "64M" }, start: "exec tail /dev/zero" }] },
    })]);
    expect(sub).toMatchObject({ code: 0 });
    const id = sub.stdout.trim();
    const oomed = (min: number) => () => pods(id).find((p) => p.restarts >= min && p.tasks[0]?.message.startsWith("killed: out of memory"));
    const pod = await waitFor("the first OOM kill in galaxy pods (reported by its worker)", oomed(0), 90_000);
    const worker = cgroupProcs(`_workers/${pod.id}`);
    expect(worker.length).toBeGreaterThanOrEqual(3); // unshare, the init, nsenter, the wrapper, the worker…
    const seen = await waitFor("a later OOM kill in galaxy pods", oomed(pod.restarts + 1), 90_000);
    expect(seen.id).toBe(pod.id);
    expect(seen.tasks[0]!.message).toBe("killed: out of memory (limit 64M)");
    expect(w.run(["pods", "-j", id, "--json"]).stdout).toContain("killed: out of memory (limit 64M)");
    expect(cgroupProcs(`_workers/${pod.id}`)).toEqual(worker); // the same worker saw both kills
    expect(readFileSync(`${V1}/memory/galaxy/${key()}/${pod.id}/memory.limit_in_bytes`, "utf8").trim()).toBe(String(64 * 1024 * 1024));
  });
});
