import { describe, expect, test } from "bun:test";
import { parseJobFile } from "./jobspec.ts";
import { MAX_SPEC_DEPTH, checkFieldSizes, checkSpecText, nestingDepth } from "./spec-limits.ts";

const JOB = (start: string) => `
name: web
deploy: {replica: 1, pools: [default]}
pod:
  tasks:
    - name: main
      cpu: {millicores: 100}
      memory: {size: 64M}
      start: ${start}
`;

const refusal = (f: () => unknown): string => {
  try {
    f();
    return "accepted";
  } catch (e) {
    return (e as Error).message;
  }
};

describe("job description limits", () => {
  test("a 2 MB document nested a million deep is refused in one pass, before the parser", () => {
    const deep = "[".repeat(1_000_000) + "]".repeat(1_000_000);
    expect(refusal(() => parseJobFile(deep, "deep.json"))).toBe("deep.json: the job description is 2000000 bytes; the limit is 1 MiB");
  });

  test("deeper than 64 levels, by brackets or by compact block sequences, is refused", () => {
    const flow = `x: ${"[".repeat(MAX_SPEC_DEPTH + 1)}${"]".repeat(MAX_SPEC_DEPTH + 1)}`;
    expect(refusal(() => parseJobFile(flow, "f.yaml"))).toBe("f.yaml: the job description nests deeper than 64 levels");
    const block = `x:\n  ${"- ".repeat(MAX_SPEC_DEPTH + 1)}1\n`;
    expect(refusal(() => checkSpecText(block, "b.yaml"))).toBe("b.yaml: the job description nests deeper than 64 levels");
    const indented = Array.from({ length: MAX_SPEC_DEPTH + 1 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + " 1\n";
    expect(refusal(() => checkSpecText(indented, "i.yaml"))).toBe("i.yaml: the job description nests deeper than 64 levels");
  });

  test("brackets inside quotes and comments do not count; a real job file is shallow", () => {
    expect(nestingDepth(`a: "${"[".repeat(100)}"\nb: '${"{".repeat(100)}'\n# ${"[".repeat(100)}\n`)).toBeLessThan(3);
    expect(nestingDepth(JOB(`"test [ -f x ] && exec ./run"`))).toBeLessThan(8);
    expect(parseJobFile(JOB(`"exec ./run"`), "ok.yaml").name).toBe("web");
  });

  test("a start command over 64 KiB is refused naming the field; 64 KiB is accepted", () => {
    const big = "x".repeat(7 * 1024 * 1024);
    expect(refusal(() => checkFieldSizes({ pod: { tasks: [{ start: big }] } }))).toBe("pod.tasks[0].start is 7340032 bytes; the limit is 64 KiB");
    const over = `"${"y".repeat(64 * 1024 + 1)}"`;
    expect(refusal(() => parseJobFile(JOB(over), "s.yaml"))).toBe("pod.tasks[0].start is 65537 bytes; the limit is 64 KiB");
    expect(parseJobFile(JOB(`"${"y".repeat(64 * 1024)}"`), "s.yaml").pod.tasks[0]!.start.length).toBe(64 * 1024);
  });
});
