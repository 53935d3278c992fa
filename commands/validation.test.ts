// Client commands check their arguments and flags before any request: an empty id (which would match every job) and
// a bad flag value exit 2 with one sentence, and the server (here a stand-in that counts calls) hears nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../src/testing/run-cli.ts";

let calls = 0;
let server: ReturnType<typeof Bun.serve>;
let dir = "";
let env: Record<string, string> = {};

beforeAll(() => {
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (calls++, new Response("{}", { status: 500 })) });
  dir = mkdtempSync(join(tmpdir(), "galaxy-cli-"));
  writeFileSync(join(dir, "x.yaml"), "name: x\npod: {tasks: [{name: m, start: 'sleep 1'}]}\n");
  const addr = `127.0.0.1:${server.port}`;
  env = { HOME: dir, GALAXY_CONFIG: join(dir, "none"), GALAXY_APPMASTER: addr, GALAXY_RESMAN: addr, GALAXY_USER: "u", GALAXY_TOKEN: "t" };
});
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test.each([
  [["remove", ""], "the job argument is empty; give a job id or name"],
  [["remove", "  "], "the job argument is empty; give a job id or name"],
  [["job", ""], "the job argument is empty; give a job id or name"],
  [["scale", "", "3"], "the job argument is empty; give a job id or name"],
  [["logs", ""], "the pod argument is empty; give a pod id or name"],
  [["submit", "-f", "FILE", "--wait", "--timeout", "5x"], "5x"],
  [["update", "web", "-f", "FILE", "--watch", "--timeout", "soon"], "soon"],
  [["scale", "web", "many"], 'replica "many" is not a number from 0 to 100000'],
  [["quota", "alice", "--memory", "lots"], "lots"],
  [["quota", "alice", "--cpu", "x"], '--cpu "x" is not a number of cores'],
])("galaxy %p exits 2 before any request", async (argv, says) => {
  const before = calls;
  const r = await runCli(argv.map((a) => (a === "FILE" ? join(dir, "x.yaml") : a)), env);
  expect(r.code).toBe(2);
  expect(r.stderr).toStartWith("Error: ");
  expect(r.stderr).toContain(says);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(calls).toBe(before);
});

test("the stand-in server does count a request that gets through", async () => {
  const before = calls;
  const r = await runCli(["remove", "web"], env);
  expect(r.code).toBe(1);
  expect(calls).toBeGreaterThan(before);
});
