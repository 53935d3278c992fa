import { afterAll, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readLogs } from "../agent/logs.ts";
import { keepPreviousRun, LogIndex } from "./log-index.ts";

const ws = mkdtempSync(join(tmpdir(), "galaxy-logidx-"));
afterAll(() => rmSync(ws, { recursive: true, force: true }));
const logs = join(ws, "logs");
mkdirSync(logs);
const T = Date.parse("2026-12-06T10:00:00Z");
const req = { containerId: "c", task: "main", stderr: false, offset: 0, tail: 0, maxBytes: 0 };
const text = (b: Uint8Array) => Buffer.from(b).toString();

test("the worker samples log sizes; the agent answers --since and --timestamps from them; --previous reads the last run", () => {
  const idx = new LogIndex(logs);
  writeFileSync(join(logs, "main.out"), "one\n");
  idx.sample(["main"], T);
  idx.sample(["main"], T + 100); // unchanged: no entry
  appendFileSync(join(logs, "main.out"), "two\nthr");
  idx.sample(["main"], T + 60_000);
  expect(readFileSync(join(logs, "main.out.idx"), "utf8")).toBe(`4 ${T}\n11 ${T + 60_000}\n`);
  expect(text(readLogs(ws, { ...req, since: T + 30_000 }).data)).toBe("two\nthr");
  expect(text(readLogs(ws, { ...req, since: T - 1 }).data)).toBe("one\ntwo\nthr");
  const stamped = readLogs(ws, { ...req, timestamps: true });
  expect(text(stamped.data)).toBe("2026-12-06T10:00:00.000Z one\n2026-12-06T10:01:00.000Z two\n"); // "thr" waits for its end
  expect(stamped.offset).toBe(8);
  // the task restarts: its last run is kept, the new one starts empty
  keepPreviousRun(logs, "main");
  expect(existsSync(join(logs, "main.out"))).toBe(false);
  expect(text(readLogs(ws, { ...req, previous: true }).data)).toBe("one\ntwo\nthr");
  expect(text(readLogs(ws, { ...req, previous: true, timestamps: true }).data)).toStartWith("2026-12-06T10:00:00.000Z one\n");
  writeFileSync(join(logs, "main.out"), "new\n");
  idx.sample(["main"], T + 120_000); // a shrunk log starts its index again
  expect(readFileSync(join(logs, "main.out.idx"), "utf8")).toBe(`4 ${T + 120_000}\n`);
  expect(() => readLogs(ws, { ...req, task: "worker", previous: true })).toThrow(/--previous is for a task's output/);
});
