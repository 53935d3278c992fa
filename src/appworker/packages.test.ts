import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, statSync, symlinkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { activatePackage, preparePackage, type FetchOptions } from "./packages.ts";
import type { TaskIdentity } from "./task-launch.ts";

const isRoot = process.getuid?.() === 0 && Bun.which("setpriv") !== null;

const dir = mkdtempSync(join(tmpdir(), "galaxy-pkg-"));
const fast: FetchOptions = { timeoutMs: 2000, attempts: 3, backoffMs: 10 };

/** A tar.gz holding VERSION with `content`. */
function makePackage(name: string, content: string): string {
  const src = join(dir, `src-${name}`);
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, "VERSION"), content);
  const out = join(dir, `${name}.tar.gz`);
  expect(spawnSync("tar", ["czf", out, "-C", src, "."]).status).toBe(0);
  return out;
}

let server: ReturnType<typeof Bun.serve>;
let hits = 0;
beforeAll(() => {
  makePackage("http", "from http\n");
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/flaky.tar.gz" && hits++ === 0) return new Response("busy", { status: 503 });
      if (path === "/hang.tar.gz") return new Promise<Response>(() => {});
      if (path === "/flaky.tar.gz" || path === "/ok.tar.gz") return new Response(Bun.file(join(dir, "http.tar.gz")));
      return new Response("no", { status: 404 });
    },
  });
});
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("packages", () => {
  test("file://: unpacked into a version directory, dest is a symlink to it; the previous version stays", async () => {
    const ws = join(dir, "ws1");
    mkdirSync(ws);
    const v1 = await preparePackage(ws, { source: `file://${makePackage("a1", "one")}`, version: "1", dest: "app" }, fast);
    expect(existsSync(join(ws, "app"))).toBe(false); // not switched before activation
    await activatePackage(v1);
    expect(lstatSync(join(ws, "app")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(ws, "app", "VERSION"), "utf8")).toBe("one");
    const v2 = await preparePackage(ws, { source: `file://${makePackage("a2", "two")}`, version: "2", dest: "app" }, fast);
    await activatePackage(v2);
    expect(readFileSync(join(ws, "app", "VERSION"), "utf8")).toBe("two");
    // rollback: v1 is still there, even with its source gone
    rmSync(join(dir, "a1.tar.gz"));
    const back = await preparePackage(ws, { source: v1.spec.source, version: "1", dest: "app" }, fast);
    await activatePackage(back);
    expect(readFileSync(join(ws, "app", "VERSION"), "utf8")).toBe("one");
    // a third version drops the oldest
    await activatePackage(await preparePackage(ws, { source: `file://${makePackage("a3", "three")}`, version: "3", dest: "app" }, fast));
    const kept = readdirSync(v1.root).filter((n) => n !== "used").map((n) => n.split("-")[0]).sort();
    expect(kept).toEqual(["1", "1", "3", "3"]); // v3 (current) and v1 (previous), each archive and tree; v2 dropped
  });

  test("dest . unpacks into the workspace itself", async () => {
    const ws = join(dir, "ws2");
    mkdirSync(ws);
    await activatePackage(await preparePackage(ws, { source: `file://${makePackage("dot", "dot")}`, version: "", dest: "." }, fast));
    expect(readFileSync(join(ws, "VERSION"), "utf8")).toBe("dot");
  });

  test("http: a failed attempt is retried", async () => {
    const ws = join(dir, "ws3");
    mkdirSync(ws);
    const logs: string[] = [];
    const p = await preparePackage(ws, { source: `http://127.0.0.1:${server.port}/flaky.tar.gz`, version: "1", dest: "app" }, { ...fast, log: (m) => logs.push(m) });
    await activatePackage(p);
    expect(readFileSync(join(ws, "app", "VERSION"), "utf8")).toBe("from http\n");
    expect(logs).toEqual([expect.stringContaining("HTTP 503")]);
  });

  test("http: a server that never answers times out, after every attempt", async () => {
    const ws = join(dir, "ws4");
    mkdirSync(ws);
    const started = Date.now();
    const p = preparePackage(ws, { source: `http://127.0.0.1:${server.port}/hang.tar.gz`, version: "1", dest: "app" }, { timeoutMs: 200, attempts: 2, backoffMs: 10 });
    await expect(p).rejects.toThrow("after 2 attempts: timed out after 200 ms");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test("missing files, 404s and files that are not tar.gz are refused with the reason", async () => {
    const ws = join(dir, "ws5");
    mkdirSync(ws);
    await expect(preparePackage(ws, { source: `file://${dir}/nope.tar.gz`, version: "1", dest: "app" }, fast)).rejects.toThrow("does not exist");
    await expect(preparePackage(ws, { source: `http://127.0.0.1:${server.port}/x.tar.gz`, version: "1", dest: "app" }, fast)).rejects.toThrow("HTTP 404");
    writeFileSync(join(dir, "plain.tar.gz"), "just text");
    await expect(preparePackage(ws, { source: `file://${dir}/plain.tar.gz`, version: "1", dest: "b" }, fast)).rejects.toThrow("is not a tar.gz (no gzip header)");
    writeFileSync(join(dir, "bad.tar.gz"), Bun.gzipSync(new TextEncoder().encode("not a tar archive at all; ".repeat(100))));
    await expect(preparePackage(ws, { source: `file://${dir}/bad.tar.gz`, version: "1", dest: "c" }, fast)).rejects.toThrow("is not a valid tar.gz");
  });

  test("an aborted deploy stops retrying", async () => {
    const ws = join(dir, "ws6");
    mkdirSync(ws);
    const abort = new AbortController();
    const p = preparePackage(ws, { source: `http://127.0.0.1:${server.port}/hang.tar.gz`, version: "1", dest: "app" }, { timeoutMs: 10_000, attempts: 5, backoffMs: 10, signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await expect(p).rejects.toThrow();
  });

  test.skipIf(!isRoot)("with a task identity the tree is unpacked and swapped as the task: it is the task's, and a link it planted is not followed", async () => {
    const id: TaskIdentity = { uid: 100321, gid: 100321, procs: [], drop: true };
    chmodSync(dir, 0o755); // the package files must be readable by the task's user (file-access.ts)
    const closed = join(dir, "closed"); // an ancestor the task cannot traverse: paths are given relative to the workspace
    const ws = join(closed, "ws7");
    mkdirSync(join(ws, ".galaxy"), { recursive: true });
    chmodSync(closed, 0o700);
    chownSync(ws, 0, id.gid);
    chmodSync(ws, 0o1770);
    const v1 = await preparePackage(ws, { source: `file://${makePackage("t1", "task")}`, version: "1", dest: "app" }, fast, id);
    await activatePackage(v1, id);
    expect(readFileSync(join(ws, "app", "VERSION"), "utf8")).toBe("task");
    expect(statSync(join(ws, "app", "VERSION")).uid).toBe(id.uid); // the task may change its own package
    expect(lstatSync(join(ws, "app")).uid).toBe(id.uid);
    // the task planted a link where a new package goes: the swap, as the task, replaces the link, never follows it
    const outside = join(dir, "outside");
    mkdirSync(outside);
    symlinkSync(outside, join(ws, "lib"));
    await activatePackage(await preparePackage(ws, { source: `file://${makePackage("t2", "two")}`, version: "1", dest: "lib/x" }, fast, id), id).catch(() => {});
    expect(readdirSync(outside)).toEqual([]);
    // dest . as the task: cannot overwrite what is root's
    writeFileSync(join(ws, ".galaxy", "VERSION"), "root's");
    await activatePackage(await preparePackage(ws, { source: `file://${makePackage("t3", "dot")}`, version: "", dest: "." }, fast, id), id);
    expect(readFileSync(join(ws, "VERSION"), "utf8")).toBe("dot");
    expect(statSync(join(ws, "VERSION")).uid).toBe(id.uid);
  });
});
