// Drain end to end, as a user sees it, on one `galaxy up --agents 2`: a 3-pod `step: 1` HTTP service with a health
// check, all on one agent, is drained while every replica's published address is asked every 0.5 s: never fewer
// than 2 answer, and at the end all 3 answer from the other agent, which `galaxy agent show` says is drained. With no
// room anywhere else, a drain waits, says why (agent show, events), and all 3 keep answering. An agent losing a label
// the job requires has its pods moved the same way.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { askHttp, podIdServer, GALAXY, startUp, stopUp, waitFor, World } from "./harness.ts";

setDefaultTimeout(240_000);

interface Endpoint { pod: string; service: string; address: string; status: string }
interface PodJson { id: string; agent: string; state: string }

describe("drain: make-before-break within the disruption budget", () => {
  const w = new World();
  const server = podIdServer(); // each replica answers with its pod id
  let up: ChildProcess;
  let base = 0;
  let job = "";
  const agent = (i: number) => `127.0.0.1:${base + 10 + i}`;

  /** galaxy without blocking the event loop. */
  async function galaxy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const p = Bun.spawn([GALAXY, ...args], { env: w.env, cwd: w.dir, stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, stdout, stderr };
  }
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await galaxy([...args, "--json"]);
    if (r.code !== 0) throw new Error(`galaxy ${args.join(" ")}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const agentShow = (i: number) => json<{ agent: { state: string; drain: string }; containers: { id: string }[] }>(["agent", "show", agent(i)]);

  /** The addresses the replicas had before the drain: an old copy serves there until its replacement runs healthy. */
  let firstAddresses: string[] = [];

  /** Asks every published address once (re-read now): the pods that answered there, and also anywhere (old addresses). */
  async function answering(): Promise<{ pods: string[]; anywhere: number }> {
    const listed = (await json<Endpoint[]>(["services", job])).map((e) => e.address).filter(Boolean);
    const [got, old] = await Promise.all([Promise.all(listed.map(askHttp)), Promise.all(firstAddresses.map(askHttp))]);
    const pods = got.filter((x) => x !== "").sort();
    return { pods, anywhere: new Set([...pods, ...old.filter((x) => x !== "")]).size };
  }

  /** Polls every 0.5 s until done() holds: the fewest replicas that answered at their published address in any round,
   *  and the fewest that answered anywhere. */
  async function watchUntil(what: string, done: () => Promise<boolean>, timeoutMs: number): Promise<{ fewest: number; served: number }> {
    let fewest = Infinity;
    let served = Infinity;
    await waitFor(what, async () => {
      const a = await answering();
      fewest = Math.min(fewest, a.pods.length);
      served = Math.min(served, a.anywhere);
      return done();
    }, timeoutMs, 500);
    return { fewest, served };
  }

  beforeAll(async () => {
    ({ up, base } = await startUp(w, 2, ["--cpu", "1", "--memory", "2G", "--quiet"]));
      writeFileSync(join(w.dir, "web.yaml"), `name: web
type: service
deploy: {replica: 3, step: 1, pools: [default], stop_timeout: 2s}
pod:
  workspace: {size: 16M}
  tasks:
    - name: web
      cpu: {millicores: 300}
      memory: {size: 64M}
      ports: [{name: http, port: dynamic}]
      start: exec node ${server}
      health: {port: http}
      services: [{name: web, port: http}]
`);
    // all 3 pods on agent 0: agent 1 takes nothing while they are placed
    expect(w.run(["agent", "offline", agent(1)]).code).toBe(0);
    const r = w.run(["submit", "-f", join(w.dir, "web.yaml")]);
    if (r.code !== 0) throw new Error(`submit: ${r.stderr}`);
    job = r.stdout.trim();
    await waitFor("3 replicas answering", async () => (await answering()).pods.length === 3, 90_000);
    expect((await json<PodJson[]>(["pods", "-j", job])).map((p) => p.agent)).toEqual([agent(0), agent(0), agent(0)]);
    expect(w.run(["agent", "online", agent(1)]).code).toBe(0);
    firstAddresses = (await json<Endpoint[]>(["services", job])).map((e) => e.address);
  }, 180_000);

  afterAll(async () => {
    await stopUp(w, up);
    rmSync(dirname(server), { recursive: true, force: true });
  }, 60_000);

  test("a drain moves the service one healthy replacement at a time: never fewer than 2 of 3 answer", async () => {
    expect(w.run(["agent", "drain", agent(0)]).code).toBe(0);
    const { fewest, served } = await watchUntil("agent 0 drained and all 3 answering from agent 1", async () => {
      const shown = await agentShow(0);
      if (shown.agent.drain !== "drained") return false;
      const pods = await json<PodJson[]>(["pods", "-j", job]);
      return pods.every((p) => p.agent === agent(1) && p.state === "running") && (await answering()).pods.length === 3;
    }, 180_000);
    expect(fewest).toBeGreaterThanOrEqual(2);
    expect(served).toBe(3); // make-before-break: each old copy served until its replacement did
    expect((await answering()).pods).toEqual([0, 1, 2].map((i) => `${job}.${i}`));
    expect(w.run(["agent", "show", agent(0)]).stdout).toContain("drained    every container moved away");
    const events = (await json<{ kind: string; message: string }[]>(["events", job])).filter((e) => e.kind === "move");
    expect(events.map((e) => e.message)).toEqual([0, 1, 2].map(() => `moving off ${agent(0)} (drain of ${agent(0)}): a replacement starts elsewhere; the old copy stops once it runs healthy`));
  });

  test("with no room elsewhere a drain waits and says why, and all 3 keep answering", async () => {
    expect(w.run(["agent", "offline", agent(0)]).code).toBe(0); // the drained agent takes nothing
    expect(w.run(["agent", "drain", agent(1)]).code).toBe(0);
    const why = `no room for ${job}.0 and 2 more (1 agent: agent draining, 1: agent offline)`;
    let rounds = 0;
    const { fewest } = await watchUntil("the drain to say it waits, for a few rounds", async () => {
      const shown = await agentShow(1);
      if (shown.agent.drain === `drain waits: ${why}`) rounds++;
      return rounds >= 6;
    }, 60_000);
    expect(fewest).toBe(3);
    expect(w.run(["agent", "show", agent(1)]).stdout).toContain(`moves      drain waits: ${why}`);
    const events = (await json<{ kind: string; message: string }[]>(["events", job])).map((e) => e.message);
    expect(events).toContain(`drain of ${agent(1)} waits: no room for ${job}.2 (1 agent: agent draining, 1: agent offline)`);
    expect((await json<PodJson[]>(["pods", "-j", job])).map((p) => p.agent)).toEqual([agent(1), agent(1), agent(1)]);
    // room again: the drain goes on, still within the budget
    expect(w.run(["agent", "online", agent(0)]).code).toBe(0);
    const after = await watchUntil("agent 1 drained", async () => (await agentShow(1)).agent.drain === "drained" && (await answering()).pods.length === 3, 180_000);
    expect(after.fewest).toBeGreaterThanOrEqual(2);
  });

  test("an agent that loses a label the job requires: its pods move the same way, make-before-break", async () => {
    expect(w.run(["agent", "online", agent(1)]).code).toBe(0);
    expect(w.run(["label", "add", "ssd", agent(0)]).code).toBe(0);
    expect(w.run(["remove", job]).code).toBe(0);
    writeFileSync(join(w.dir, "db.yaml"), readFileSync(join(w.dir, "web.yaml"), "utf8").replace("name: web", "name: db")
      .replace("replica: 3, step: 1, pools: [default]", "replica: 2, step: 1, pools: [default], labels: [ssd]"));
    const r = w.run(["submit", "-f", join(w.dir, "db.yaml")]);
    if (r.code !== 0) throw new Error(`submit: ${r.stderr}`);
    job = r.stdout.trim();
    await waitFor("2 replicas answering on agent 0", async () => (await answering()).pods.length === 2, 90_000);
    expect((await json<PodJson[]>(["pods", "-j", job])).map((p) => p.agent)).toEqual([agent(0), agent(0)]);
    firstAddresses = (await json<Endpoint[]>(["services", job])).map((e) => e.address);
    expect(w.run(["label", "add", "ssd", agent(1)]).code).toBe(0);
    expect(w.run(["label", "remove", "ssd", agent(0)]).code).toBe(0);
    const { fewest, served } = await watchUntil("both pods answering from agent 1", async () => {
      const pods = await json<PodJson[]>(["pods", "-j", job]);
      return pods.every((p) => p.agent === agent(1) && p.state === "running") && (await answering()).pods.length === 2;
    }, 180_000);
    expect(fewest).toBeGreaterThanOrEqual(1);
    expect(served).toBe(2);
    const events = (await json<{ kind: string; message: string }[]>(["events", job])).filter((e) => e.kind === "move");
    expect(events.map((e) => e.message)).toEqual([0, 1].map(() => `moving off ${agent(0)} (agent ${agent(0)} lost label ssd): a replacement starts elsewhere; the old copy stops once it runs healthy`));
  });
});
