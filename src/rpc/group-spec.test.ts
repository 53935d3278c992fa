import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { groupSpecFromJob } from "./group-spec.ts";
import { parseJobFile } from "../core/jobspec.ts";

describe("groupSpecFromJob", () => {
  test("carries the job's name and its anti-affinity rules", () => {
    const spec = parseJobFile(readFileSync(join(import.meta.dir, "../../testdata/jobs/full.yaml"), "utf8"));
    const g = groupSpecFromJob(spec, { id: "web-1", user: "u" });
    expect(g.name).toBe("web");
    expect(g.antiAffinity).toEqual([{ job: "db", maxPerHost: 1 }, { job: "cache", maxPerHost: 0 }]);
  });
});
