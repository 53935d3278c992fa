// `galaxy rebalance` end to end on one `galaxy up --agents 2` (1 core each): a 3-pod service packed onto one agent
// (0.9 of its cpu, far above the load target) is rebalanced: --plan shows a move to the idle agent and changes
// nothing; applied, the pod moves make-before-break (never fewer than 2 of 3 running and answering at their
// published address) and ends on the other agent.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { askHttp, podIdServer, startUp, stopUp, waitFor, World } from "./harness.ts";

setDefaultTimeout(240_000);

interface PodJson { id: string; agent: string; state: string }
interface Endpoint { pod: string; address: string }
interface RebalanceJson { costBefore: number; costAfter: number; moves: { container: string; from: string; to: string }[]; marked: number }

describe("galaxy rebalance", () => {
  const w = new World();
  let up: ChildProcess;
  let base = 0;
  let job = "";
  const agent = (i: number) => `127.0.0.1:${base + 10 + i}`;
  const json = <T>(args: string[]): T => {
    const r = w.run([...args, "--json"]);
    if (r.code !== 0) throw new Error(`galaxy ${args.join(" ")}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const pods = () => json<PodJson[]>(["pods", "-j", job]);
  /** The pods that answer at the addresses `galaxy services` publishes now. */
  const answering = async () => (await Promise.all(json<Endpoint[]>(["services", job]).map((e) => e.address).filter(Boolean).map(askHttp))).filter((x) => x !== "");
  const server = podIdServer(); // each replica answers with its pod id

  beforeAll(async () => {
    ({ up, base } = await startUp(w, 2, ["--cpu", "1", "--memory", "2G", "--quiet"]));
    writeFileSync(join(w.dir, "web.yaml"), `name: web
type: service
deploy: {replica: 3, step: 1, pools: [default], stop_timeout: 1s}
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
    expect(w.run(["agent", "offline", agent(1)]).code).toBe(0); // all 3 pods on agent 0
    const r = w.run(["submit", "-f", join(w.dir, "web.yaml")]);
    if (r.code !== 0) throw new Error(`submit: ${r.stderr}`);
    job = r.stdout.trim();
    await waitFor("3 pods answering", async () => (await answering()).length === 3, 90_000);
    expect(pods().map((p) => p.agent)).toEqual([agent(0), agent(0), agent(0)]);
    expect(w.run(["agent", "online", agent(1)]).code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await stopUp(w, up);
    rmSync(dirname(server), { recursive: true, force: true });
  }, 60_000);

  test("--plan shows a move to the idle agent that lowers the load cost, and moves nothing", () => {
    const plan = json<RebalanceJson>(["rebalance", "--plan", "--time", "1s"]);
    expect(plan.costAfter).toBeLessThan(plan.costBefore);
    expect(plan.moves.length).toBeGreaterThan(0);
    for (const m of plan.moves) expect(m).toMatchObject({ from: agent(0), to: agent(1) });
    expect(plan.marked).toBe(0);
    const shown = w.run(["rebalance", "--plan", "--time", "1s"]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("load cost");
    expect(shown.stdout).toContain("run without --plan to apply them");
    expect(pods().map((p) => p.agent)).toEqual([agent(0), agent(0), agent(0)]);
  });

  test("applied, the pods move make-before-break: never fewer than 2 of 3 running and answering, and they end spread", async () => {
    const r = json<RebalanceJson>(["rebalance", "--time", "1s"]);
    expect(r.marked).toBeGreaterThan(0);
    let fewest = 3, fewestAnswering = 3;
    await waitFor("a pod running on agent 1 and all 3 running and answering", async () => {
      const now = pods();
      const served = (await answering()).length;
      fewest = Math.min(fewest, now.filter((p) => p.state === "running").length);
      fewestAnswering = Math.min(fewestAnswering, served);
      return now.some((p) => p.agent === agent(1)) && now.filter((p) => p.state === "running").length === 3 && served === 3;
    }, 120_000, 500);
    expect(fewest).toBeGreaterThanOrEqual(2);
    expect(fewestAnswering).toBeGreaterThanOrEqual(2);
    // the old copy stops once its replacement runs healthy, then agent 0 is charged less: the cost falls
    await waitFor("the load cost to fall", () => json<RebalanceJson>(["rebalance", "--plan", "--time", "200ms"]).costBefore < r.costBefore, 60_000, 500);
  });

  test("bad input says so before asking anything: --time above 60s", () => {
    const r = w.run(["rebalance", "--time", "2m"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("at most 60s");
  });

  test("usage profiles: a day job and a night job of 0.7 cpu each share one 1-core agent (their peaks would not fit)", async () => {
    expect(w.run(["remove", job]).code).toBe(0);
    expect(w.run(["agent", "offline", agent(1)]).code).toBe(0);
    const spec = (name: string, cpu: string) => `name: ${name}
type: service
deploy: {replica: 1, pools: [default], stop_timeout: 1s, profile: {cpu: ${cpu}}}
pod:
  workspace: {size: 16M}
  tasks:
    - {name: main, cpu: {millicores: 700}, memory: {size: 32M}, start: exec sleep 100000}
`;
    writeFileSync(join(w.dir, "day.yaml"), spec("day", "[1, 1, 0.2, 0.2]"));
    writeFileSync(join(w.dir, "night.yaml"), spec("night", "[0.2, 0.2, 1, 1]"));
    const ids = ["day", "night"].map((n) => {
      const r = w.run(["submit", "-f", join(w.dir, `${n}.yaml`)]);
      if (r.code !== 0) throw new Error(`submit ${n}: ${r.stderr}`);
      return r.stdout.trim();
    });
    await waitFor("both running", () => ids.every((id) => json<PodJson[]>(["pods", "-j", id]).some((p) => p.state === "running")), 90_000);
    for (const id of ids) expect(json<PodJson[]>(["pods", "-j", id]).map((p) => p.agent)).toEqual([agent(0)]);
  });
});
