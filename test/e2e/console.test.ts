// The web console in a real headless Chromium (Debian's chromium, driven by playwright-core) against a real
// `galaxy up --agents 2`: log in, watch a submitted job's pods turn running without a reload, follow a pod's log,
// pause and continue an update, drain an agent as admin, and see that a user with only `list` is offered none of
// these actions, and that an action refused anyway (a grant taken after the page loaded) shows ResMan's sentence.
// GALAXY_CONSOLE_SHOTS=1 also saves the screenshots in docs/console/.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { freeAgentPorts, freePortBase, ROOT, requireBinary, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(180_000);

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`skipping the web console's browser tests: ${CHROMIUM} is missing (apt-get install chromium)`);
const SHOTS = process.env.GALAXY_CONSOLE_SHOTS === "1";

const ticker = (interval: string, version: string) => `name: ticker
type: service
deploy: {replica: 3, step: 1, interval: ${interval}, pools: [default], stop_timeout: 1s}
pod:
  tasks:
    - name: main
      cpu: {millicores: 100}
      memory: {size: 32M}
      start: i=0; while true; do echo "${version} tick $i"; i=$((i+1)); sleep 0.5; done
`;

describe.skipIf(!hasChromium)("the web console in a browser", () => {
  const w = new World();
  let up: ChildProcess;
  let browser: Browser;
  let admin: Page;
  let viewer: Page;
  let ops: Page;
  let url = "";
  let base = 0;
  let job = "";
  const agent = (i: number) => `127.0.0.1:${base + 10 + i}`;

  const shot = async (page: Page, name: string) => {
    if (!SHOTS) return;
    mkdirSync(join(ROOT, "docs", "console"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "docs", "console", `${name}.png`) });
  };

  async function logIn(page: Page, user: string, token: string): Promise<void> {
    await page.goto(url);
    await page.fill("input[name=user]", user);
    await page.fill("input[name=token]", token);
    await page.click("button[type=submit]");
    await page.waitForSelector(`text=${user}`, { timeout: 15_000 });
  }

  beforeAll(async () => {
    requireBinary();
    base = await freePortBase(20);
    up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", "2", "--cpu", "2", "--memory", "2G", "--port", String(base), "--ports-from", String(await freeAgentPorts(2)), "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
    const ui = w.run(["ui", "--no-open"]);
    expect(ui.code).toBe(0);
    url = ui.stdout.trim();
    expect(url).toBe(`http://127.0.0.1:${base + 2}/ui/`);
    expect(w.log("up")).toContain(`Web console: ${url} (user admin, token in ${join(w.dir, "g")}/admin-token)`);
    const token = w.run(["user", "add", "viewer"]).stdout.split("\n")[1]!.trim();
    expect(w.run(["grant", "viewer", "--pool", "default", "--allow", "list"]).code).toBe(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    admin = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    viewer = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await logIn(viewer, "viewer", token);
    const opsToken = w.run(["user", "add", "ops"]).stdout.split("\n")[1]!.trim();
    expect(w.run(["grant", "ops", "--pool", "default", "--allow", "admin"]).code).toBe(0);
    ops = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await logIn(ops, "ops", opsToken);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  }, 60_000);

  test("log in with the CLI's token; a job submitted meanwhile appears and its pods turn running, without a reload", async () => {
    await admin.goto(url);
    await admin.fill("input[name=user]", "admin");
    await admin.fill("input[name=token]", "wrong");
    await admin.click("button[type=submit]");
    await admin.waitForSelector("text=unknown user or wrong token");
    const token = (JSON.parse(readFileSync(w.env.GALAXY_CONFIG!, "utf8")) as { token: string }).token; // galaxy up wrote it
    await logIn(admin, "admin", token);
    await admin.waitForSelector("text=no job matches");
    writeFileSync(join(w.dir, "ticker.yaml"), ticker("0s", "v1"));
    const r = w.run(["submit", "-f", join(w.dir, "ticker.yaml")]);
    expect(r.code).toBe(0);
    job = r.stdout.trim();
    await admin.click(`tr[data-job="${job}"] a`);
    await waitFor("3 pods running on the job's page", async () => (await admin.locator("tr[data-pod-state=running]").count()) === 3, 90_000);
    expect(await admin.textContent("h1")).toContain(job);
    await shot(admin, "job");
    await admin.click("details summary");
    expect(await admin.textContent("pre.yaml")).toContain("name: ticker\ntype: service\n");
    await admin.goto(`${url}#/jobs`);
    await admin.waitForSelector(`tr[data-job="${job}"] [data-state=running]`);
    await shot(admin, "jobs");
    await admin.fill("input[name=q]", "nothing-like-it");
    await admin.waitForSelector("text=no job matches");
    await admin.fill("input[name=q]", "tick");
    await admin.waitForSelector(`tr[data-job="${job}"]`);
  });

  test("a pod's log follows: new lines arrive on the open page", async () => {
    await admin.goto(`${url}#/pod/${job}.0`);
    const text = () => admin.textContent(`pre[data-logs="${job}.0"]`).then((t) => t ?? "");
    const first = await waitFor("the log's first lines", async () => /v1 tick (\d+)/.exec((await text()).trim().split("\n").at(-1) ?? "")?.[1], 30_000);
    await waitFor("three more lines", async () => (await text()).includes(`v1 tick ${Number(first) + 3}\n`), 30_000);
    expect(await admin.textContent("[data-task=main]")).toContain("running");
    await shot(admin, "pod");
  });

  test("pause and continue an update; a user with only `list` sees it but is offered no button", async () => {
    writeFileSync(join(w.dir, "ticker2.yaml"), ticker("1h", "v2")); // one pod, then an hour before the next
    expect(w.run(["update", job, "-f", join(w.dir, "ticker2.yaml")]).code).toBe(0);
    await admin.goto(`${url}#/job/${job}`);
    await admin.click("button[data-action=pause]");
    await admin.waitForSelector("[data-update=paused]");
    expect(w.json<{ job: { state: string } }>(["job", job]).job.state).toBe("update_paused");
    await viewer.goto(`${url}#/job/${job}`);
    await viewer.waitForSelector("[data-update=paused]");
    expect(await viewer.locator("button[data-action]").count()).toBe(0);
    expect(await viewer.textContent("main")).toContain("only admin with the update grant (or an admin) may pause, continue or roll back");
    await admin.click("button[data-action=continue]");
    await admin.waitForSelector("[data-update=active]");
    expect(w.json<{ job: { state: string } }>(["job", job]).job.state).toBe("updating");
    await shot(admin, "update");
  });

  test("an admin drains an agent; the user with only `list` has no drain button", async () => {
    await viewer.goto(`${url}#/agents`);
    await viewer.waitForSelector(`tr[data-agent="${agent(1)}"]`);
    expect(await viewer.locator("button[data-action]").count()).toBe(0);
    await admin.goto(`${url}#/agents`);
    await admin.click(`tr[data-agent="${agent(1)}"] button[data-action=drain]`);
    await admin.waitForSelector(`tr[data-agent="${agent(1)}"][data-agent-state=draining]`);
    expect(w.run(["agent", "show", agent(1)]).stdout).toContain("draining");
    await shot(admin, "agents");
  });

  test("a refused action shows the server's sentence: a grant taken after the page was opened", async () => {
    await ops.goto(`${url}#/agents`);
    const row = `tr[data-agent="${agent(0)}"]`;
    await ops.waitForSelector(`${row} button[data-action=offline]`);
    expect(w.run(["grant", "ops", "--pool", "default", "--allow", "admin", "--revoke"]).code).toBe(0);
    await ops.click(`${row} button[data-action=offline]`);
    await ops.waitForSelector(`${row} .refused`);
    expect(await ops.textContent(`${row} .refused`)).toBe("user ops may not admin in pool default");
    expect(w.run(["agent", "show", agent(0)]).stdout).not.toContain("offline");
  });

  test("cluster status and the topology (10,000 made-up agents on one canvas)", async () => {
    await admin.goto(`${url}#/status`);
    await admin.waitForSelector("tr[data-master=appmaster]");
    expect(await admin.textContent("tr[data-master=resman]")).toContain(`127.0.0.1:${base}`);
    await shot(admin, "status");
    await admin.goto(`${url}#/topology`);
    await admin.waitForSelector("canvas[data-topology='2']");
    await admin.goto(`${url}#/topology?fake=10000`);
    await admin.waitForSelector("canvas[data-topology='10000']");
    const box = (await admin.locator("canvas").boundingBox())!;
    await admin.locator("canvas").hover({ position: { x: 3, y: 3 } });
    await admin.waitForSelector("[data-tip='10.0.0.0:1646']");
    await shot(admin, "topology");
    await admin.locator("canvas").hover({ position: { x: 3, y: box.height - 3 } }); // the last row: every cell is reachable
    await admin.waitForSelector("[data-tip]:not([data-tip='10.0.0.0:1646'])");
  });
});
