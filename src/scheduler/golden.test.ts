// Replays every golden script in testdata/scheduler; UPDATE_GOLDEN=1 rewrites their transcripts instead.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rewriteScript } from "./golden-script.ts";

const DIR = join(import.meta.dir, "..", "..", "testdata", "scheduler");

describe("golden scheduler scripts", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".txt")).sort();
  test("there are scripts", () => expect(files.length).toBeGreaterThan(3));
  for (const f of files) {
    test(f, () => {
      const path = join(DIR, f);
      const text = readFileSync(path, "utf8");
      const actual = rewriteScript(text);
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, actual);
      else expect(actual).toBe(text);
    });
  }
});
