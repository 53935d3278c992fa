// Unknown keys are refused at every level of a job file, in the golden style ("file:line path: unknown key; did you
// mean x?" or "...; expected one of a, b"). The levels come from testdata/jobs/full.yaml, which holds every key of
// jobspec.md; the table below pins them, so a map the walk stops finding (or a new one) shows up here.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { JobSpecError, parseJobFile } from "./jobspec.ts";
import { childPath } from "./jobspec-schema.ts";

const FULL: unknown = parseYaml(readFileSync(join(import.meta.dir, "../../testdata/jobs/full.yaml"), "utf8"));

const LEVELS = [
  "", "deploy", "deploy.restart", "deploy.anti_affinity[0]", "deploy.profile", "pod", "pod.workspace", "pod.volumes[0]", "pod.tasks[0]",
  "pod.tasks[0].cpu", "pod.tasks[0].memory", "pod.tasks[0].ports[0]", "pod.tasks[0].package", "pod.tasks[0].health",
  "pod.tasks[0].data", "pod.tasks[0].data.packages[0]", "pod.tasks[0].services[0]", "pod.tasks[0].io",
];

type YamlMap = Record<string, unknown>;
const isMap = (v: unknown): v is YamlMap => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every map of the document: its path with list indices as [0], the first such node, the union of its keys. */
function maps(doc: unknown): Map<string, { node: YamlMap; keys: Set<string> }> {
  const out = new Map<string, { node: YamlMap; keys: Set<string> }>();
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, `${path}[0]`));
    if (!isMap(v)) return;
    const seen = out.get(path) ?? { node: v, keys: new Set<string>() };
    out.set(path, seen);
    for (const [k, x] of Object.entries(v)) seen.keys.add(k), walk(x, childPath(path, k));
  };
  walk(doc, "");
  return out;
}

function problems(doc: unknown): string[] {
  try {
    parseJobFile(stringify(doc), "job.yaml");
    return [];
  } catch (e) {
    if (!(e instanceof JobSpecError)) throw e;
    return e.message.split("\n");
  }
}

/** The line of `key:` in the YAML text (the key is unique in the document). */
const lineOf = (text: string, key: string) => text.split("\n").findIndex((l) => new RegExp(`(^|[\\s{,-])${key}:`).test(l)) + 1;

describe("unknown keys in a job file", () => {
  test("full.yaml has a map at every level of the table, and no other", () => {
    expect([...maps(FULL).keys()].sort()).toEqual([...LEVELS].sort());
    expect(problems(FULL)).toEqual([]);
  });

  for (const level of LEVELS) {
    test(`at ${level || "the top level"}: a misspelt key gets 'did you mean', a strange one the keys allowed`, () => {
      const doc = structuredClone(FULL);
      const { node, keys } = maps(doc).get(level)!;
      const near = [...keys][0]!;
      const misspelt = `${near}${near.at(-1)}`;
      node[misspelt] = node[near];
      node.zzzzzz = 1;
      const text = stringify(doc);
      const got = problems(doc);
      expect(got).toHaveLength(2);
      expect(got).toContain(`job.yaml:${lineOf(text, misspelt)} ${childPath(level, misspelt)}: unknown key; did you mean ${near}?`);
      const strange = got.find((p) => p.includes("zzzzzz"))!;
      const head = `job.yaml:${lineOf(text, "zzzzzz")} ${childPath(level, "zzzzzz")}: unknown key; expected one of `;
      expect(strange.startsWith(head)).toBe(true);
      expect(new Set(strange.slice(head.length).split(", "))).toEqual(keys);
    });
  }
});
