import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RpcClient } from "../rpc/index.ts";
import { readLogs } from "./logs.ts";
import { choosePod, followLogs, jobIdOf, printLogs } from "./logs-client.ts";
import type { Pod } from "../rpc/types.ts";

const ws = mkdtempSync(join(tmpdir(), "galaxy-logs-"));
afterAll(() => rmSync(ws, { recursive: true, force: true }));
mkdirSync(join(ws, "logs"));
writeFileSync(join(ws, "logs", "main.out"), "one\ntwo\nthree\n");
writeFileSync(join(ws, "logs", "main.err"), "oops\n");
const req = { containerId: "c", task: "main", stderr: false, offset: 0, tail: 0, maxBytes: 0 };
const text = (b: Uint8Array) => Buffer.from(b).toString();

describe("the agent reads a task's log", () => {
  test("whole, from an offset, its last lines, stderr; a missing file; a bad task name", () => {
    expect(text(readLogs(ws, req).data)).toBe("one\ntwo\nthree\n");
    expect(readLogs(ws, { ...req, offset: 4 })).toMatchObject({ offset: 14, exists: true });
    expect(text(readLogs(ws, { ...req, tail: 2 }).data)).toBe("two\nthree\n");
    expect(text(readLogs(ws, { ...req, stderr: true }).data)).toBe("oops\n");
    expect(readLogs(ws, { ...req, task: "other" })).toMatchObject({ exists: false, offset: 0 });
    expect(() => readLogs(ws, { ...req, task: "../x" })).toThrow(/bad task name/);
  });

  test("an offset beyond the end (the file was truncated or rotated) starts again at 0", () => {
    expect(text(readLogs(ws, { ...req, offset: 1000 }).data)).toBe("one\ntwo\nthree\n");
  });
});

describe("galaxy logs, the client side", () => {
  const pod = (id: string): Pod => ({ id, agent: "a:1" }) as Pod;
  const pods = ["web-1.0", "web-1.1", "web-1.10"].map(pod);

  test("which pod a text names", () => {
    expect(jobIdOf("web-1.10")).toBe("web-1");
    expect(jobIdOf("web-1")).toBe("web-1");
    expect(choosePod(pods, "web-1.1").id).toBe("web-1.1"); // exact beats prefix
    expect(choosePod(pods, "web-1.10").id).toBe("web-1.10");
    expect(() => choosePod(pods, "web-1")).toThrow(/matches 3: web-1.0, web-1.1, web-1.10/);
    expect(choosePod([pod("db-2.0")], "db-2").id).toBe("db-2.0");
    expect(() => choosePod(pods, "web-1.7")).toThrow(/no pod "web-1.7"/);
    const named = ["0", "1"].map((i) => ({ id: `web-20261206-0101-abcd.${i}`, jobId: "web-20261206-0101-abcd", agent: "a:1" }) as Pod);
    expect(choosePod(named, "web.1").id).toBe("web-20261206-0101-abcd.1"); // <job name>.<index>
    expect(() => choosePod(named, "web.7")).toThrow(/no pod "web.7"/);
  });

  test("prints the log in chunks, then follows what is appended", async () => {
    const agent = { call: async (_m: string, r: typeof req) => readLogs(ws, { ...r, maxBytes: 5 }) } as unknown as RpcClient;
    const out: string[] = [];
    const at = await printLogs(agent, { containerId: "c", task: "main", stderr: false, tail: 0 }, (b) => out.push(text(b)));
    expect(out.join("")).toBe("one\ntwo\nthree\n");
    let rounds = 0;
    await followLogs(agent, { containerId: "c", task: "main", stderr: false, tail: 0 }, at, (b) => out.push(text(b)), () => {
      if (rounds++ === 1) appendFileSync(join(ws, "logs", "main.out"), "four\n");
      return rounds > 3;
    }, 1);
    expect(out.join("")).toBe("one\ntwo\nthree\nfour\n");
  });
});
