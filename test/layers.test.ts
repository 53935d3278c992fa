// The layering rules of style.md (.dependency-cruiser.cjs) over src/, commands/ and test/: a violation fails the
// suite, hence `npm test` and .ci/run. Second test: each rule still fires on a tree built to break it.
import { expect, test } from "bun:test";
import { createRequire } from "node:module";
import { join } from "node:path";
import { cruise, type IViolation } from "dependency-cruiser";

const ROOT = join(import.meta.dir, "..");
const config = createRequire(import.meta.url)(join(ROOT, ".dependency-cruiser.cjs"));

async function violations(baseDir: string, dirs: string[]): Promise<IViolation[]> {
  const opts = { ...config.options, baseDir, validate: true, ruleSet: { forbidden: config.forbidden } };
  if (baseDir !== ROOT) delete opts.tsConfig; // the fixture's imports are relative paths with extensions
  const result = await cruise(dirs, opts);
  if (typeof result.output === "string") throw new Error("dependency-cruiser returned text, not a result");
  return result.output.summary.violations;
}

const line = (v: IViolation) => `${v.rule.severity} ${v.rule.name}: ${v.from} -> ${v.cycle?.length ? v.cycle.map((c) => c.name).join(" -> ") : v.to}`;

test("src/, commands/ and test/ follow the layers of style.md (no cycles, no production import of bench or test code)", async () => {
  const found = await violations(ROOT, ["src", "commands", "test"]);
  const errors = found.filter((v) => v.rule.severity === "error").map(line);
  expect(errors).toEqual([]);
}, 60_000);

test("every layering rule fires on a tree that breaks it, and allowed imports pass", async () => {
  const found = (await violations(join(ROOT, "testdata/layers"), ["src", "commands"])).map((v) => `${v.rule.name}: ${v.from}`);
  expect(found.sort()).toEqual([
    "binary-ships-no-test-code: src/main.ts",
    "core-imports-nothing-of-ours: src/core/a.ts",
    "machinery-imports-no-role: src/rpc/b.ts",
    "machinery-takes-no-wire-vocabulary: src/cluster/k.ts",
    "no-circular: src/store/x.ts",
    "production-imports-no-bench: src/agent/d.ts",
    "production-imports-no-test-code: commands/f.ts",
    "role-imports-no-entry-point: src/agent/d.ts",
    "role-imports-no-role: src/resman/c.ts",
    "scheduler-imports-no-rpc: src/scheduler/h.ts",
  ]);
}, 60_000);

test("no free string is cast to a state or a job type: wire words are converted once (src/core/domain.ts)", async () => {
  const cast = /\bas (JobType|AgentState|ContainerState|JobState|PodState|TaskState|WorkerCommand)\b/;
  const found: string[] = [];
  for (const dir of ["src", "commands"]) {
    for await (const f of new Bun.Glob("**/*.ts").scan({ cwd: join(ROOT, dir) })) {
      if (f.startsWith("rpc/gen/")) continue;
      const lines = (await Bun.file(join(ROOT, dir, f)).text()).split("\n");
      lines.forEach((l, i) => cast.test(l) && found.push(`${dir}/${f}:${i + 1}: ${l.trim()}`));
    }
  }
  expect(found).toEqual([]);
});
