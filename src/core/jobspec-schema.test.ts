// The job file is described once (jobspec-schema.ts): a field of the description is a key the reader accepts and
// reads, the writer writes back, the key table lists and the docs name. testdata/jobs/full.yaml holds every key set
// to something other than its default, so a field added to the description without the rest fails here.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { defaultsOf, fileKey, int, keyPaths, list, obj, str } from "./jobspec-fields.ts";
import { JobSpecError, jobSpecToYaml, parseJobFile } from "./jobspec.ts";
import { childPath, JOB, MapReader, NO_IO, ProblemList, readMap } from "./jobspec-schema.ts";

const ROOT = join(import.meta.dir, "../..");
const FULL_TEXT = readFileSync(join(ROOT, "testdata/jobs/full.yaml"), "utf8");
const FULL: unknown = parseYaml(FULL_TEXT);
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every key path of a parsed document, list entries as [0] ("pod.tasks[0].cpu.millicores"). */
function pathsOf(doc: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, `${path}[0]`));
    if (isMap(v)) for (const [k, x] of Object.entries(v)) out.add(childPath(path, k)), walk(x, childPath(path, k));
  };
  walk(doc, "");
  return out;
}

/** `doc` without the key at `path` ([0] meaning every entry). */
function without(doc: unknown, path: string): unknown {
  const copy = structuredClone(doc);
  const parts = path.split(/\.|(?=\[0\])/);
  const drop = (v: unknown, i: number): void => {
    const p = parts[i]!;
    if (p === "[0]") return Array.isArray(v) ? v.forEach((x) => drop(x, i + 1)) : undefined;
    if (!isMap(v)) return;
    if (i === parts.length - 1) delete v[p];
    else drop(v[p], i + 1);
  };
  drop(copy, 0);
  return copy;
}

const DESCRIBED = keyPaths(JOB as never);

describe("the job file's description", () => {
  test("its keys are exactly the keys of full.yaml, each with a docs line", () => {
    expect(new Set(DESCRIBED.map((k) => k.path))).toEqual(pathsOf(FULL));
    for (const k of DESCRIBED) expect(k.doc.length, k.path).toBeGreaterThan(5);
  });

  test("the writer writes every field back (full.yaml sets none to its default)", () => {
    const written = parseYaml(jobSpecToYaml(parseJobFile(FULL_TEXT, "full.yaml")));
    expect(pathsOf(written)).toEqual(pathsOf(FULL));
  });

  test.each(DESCRIBED.map((k) => k.path))("the reader reads %s: leaving it out changes the spec or is a problem", (path) => {
    const spec = parseJobFile(FULL_TEXT, "full.yaml");
    let other: unknown;
    try {
      other = parseJobFile(stringify(without(FULL, path)), "cut.yaml");
    } catch (e) {
      expect(e).toBeInstanceOf(JobSpecError);
      return;
    }
    expect(other).not.toEqual(spec);
  });

  test("docs/job-file.md names every key", () => {
    const docs = readFileSync(join(ROOT, "docs/job-file.md"), "utf8");
    const missing = DESCRIBED.map((k) => k.path.replace(/.*[.\]]/, "")).filter((key) => !docs.includes(`\`${key}\``) && !docs.includes(`${key}:`));
    expect(missing).toEqual([]);
  });

  test("defaults come from the description: a task without io has every limit off", () => {
    expect(NO_IO).toEqual({ weight: 0, readBps: 0, writeBps: 0, readIops: 0, writeIops: 0 });
    expect(fileKey("maxPerHost")).toBe("max_per_host");
    expect(fileKey("readIops")).toBe("read_iops");
  });
});

describe("a description gives reader, writer and key list together", () => {
  const ITEM = obj({ name: str({ doc: "its name" }), maxCount: int({ min: 1, def: 3, omit: (v) => v === 3, doc: "how many" }) });
  const THING = obj({ items: list(ITEM, { nonEmpty: "needs an item", doc: "the items" }) });
  const read = (raw: unknown) => {
    const problems = new ProblemList();
    return { value: THING.read(readMap(problems, raw, "", THING.keys)), problems: problems.problems.map((p) => `${p.path}: ${p.message}`) };
  };

  test("a field added to a map is read, written, listed and defaulted", () => {
    expect(ITEM.keys).toEqual(["name", "max_count"]);
    expect(read({ items: [{ name: "a", max_count: 5 }, { name: "b" }] })).toEqual({ value: { items: [{ name: "a", maxCount: 5 }, { name: "b", maxCount: 3 }] }, problems: [] });
    expect(THING.write({ items: [{ name: "a", maxCount: 5 }, { name: "b", maxCount: 3 }] })).toEqual({ items: [{ name: "a", max_count: 5 }, { name: "b" }] });
    expect(defaultsOf(ITEM)).toEqual({ name: "", maxCount: 3 });
  });

  test("its problems keep the golden style", () => {
    expect(read({ items: [{ nme: "a", max_count: 0 }] }).problems).toEqual([
      "items[0].nme: unknown key; did you mean name?", "items[0].max_count: must be at least 1, got 0",
    ]);
    expect(read({ items: [] }).problems).toEqual(["items: needs an item"]);
    expect(read({ items: [{ zz: 1, name: "a" }] }).problems).toEqual(["items[0].zz: unknown key; expected one of name, max_count"]);
    expect(read({}).problems).toEqual(["items: required"]);
    expect(new MapReader(new ProblemList(), "", {}).has("x")).toBe(false);
  });
});
