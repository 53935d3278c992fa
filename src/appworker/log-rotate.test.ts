import { afterAll, expect, test } from "bun:test";
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rotateIfNeeded } from "./log-rotate.ts";

const dir = mkdtempSync(join(tmpdir(), "galaxy-rotate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a log over the cap is copied aside and truncated; old copies shift and the oldest is dropped", () => {
  const f = join(dir, "main.out");
  const o = { maxBytes: 10, keep: 2 };
  writeFileSync(f, "0123456789");
  expect(rotateIfNeeded(f, o)).toBe(false);
  for (const gen of ["a", "b", "c"]) {
    appendFileSync(f, gen.repeat(11));
    expect(rotateIfNeeded(f, o)).toBe(true);
    expect(readFileSync(f, "utf8")).toBe("");
  }
  expect(readFileSync(`${f}.1`, "utf8")).toBe("c".repeat(11));
  expect(readFileSync(`${f}.2`, "utf8")).toBe("b".repeat(11));
  expect(existsSync(`${f}.3`)).toBe(false);
  expect(rotateIfNeeded(join(dir, "missing.out"), o)).toBe(false);
});

test("a writer holding the file open with O_APPEND goes on at the new end", () => {
  const f = join(dir, "w.out");
  const fd = openSync(f, "a");
  writeSync(fd, "x".repeat(20));
  rotateIfNeeded(f, { maxBytes: 10, keep: 1 });
  writeSync(fd, "after");
  closeSync(fd);
  expect(readFileSync(f, "utf8")).toBe("after");
});
