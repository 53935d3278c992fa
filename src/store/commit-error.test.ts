import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitFailure, commitReason } from "./commit-error.ts";

test("the reason inside lmdb-js's commitError is read; a full disk or map is named in one sentence", async () => {
  const commitError = Promise.reject(new Error("MDB_MAP_FULL: Environment mapsize limit reached"));
  commitError.catch(() => {});
  const e = Object.assign(new Error("Commit failed (see commitError for details)"), { commitError });
  expect(await commitReason(e)).toBe("MDB_MAP_FULL: Environment mapsize limit reached");
  expect(commitFailure("AppMaster", await commitReason(e)).message).toBe("AppMaster's disk is full, so the change was not made");
  expect(commitFailure("ResMan", "write failed (ENOSPC)").message).toBe("ResMan's disk is full, so the change was not made");
  expect(commitFailure("AppMaster", "Input/output error", 4096).message).toBe("AppMaster's disk is full, so the change was not made");
  expect(commitFailure("AppMaster", "Input/output error").message).toBe("AppMaster could not commit the change (Input/output error), so it was not made");
});

test.skipIf(process.getuid?.() !== 0)("a real LMDB store on a full file system: the commit fails and is named a full disk (root: mounts a tmpfs)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-full-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", dir]);
  try {
    // In a child process: lmdb-js also rejects an internal promise of the failed batch that nobody can await, which
    // bun test would count against the test (a server just logs it and goes on).
    const script = join(tmpdir(), `galaxy-full-${process.pid}.ts`);
    writeFileSync(script, `
      import { openLmdbStore } from ${JSON.stringify(join(import.meta.dir, "index.ts"))};
      import { describeCommitFailure } from ${JSON.stringify(join(import.meta.dir, "commit-error.ts"))};
      const store = openLmdbStore(${JSON.stringify(join(dir, "db"))});
      const t = store.table("jobs");
      for (let i = 0; i < 1000; i++) {
        const failure = await store.write((tx) => tx.put(t, "k" + i, "x".repeat(10000))).then(() => null, (e) => e);
        if (failure) {
          console.log("SAYS " + (await describeCommitFailure("AppMaster", failure, ${JSON.stringify(dir)})).error.message);
          break;
        }
      }
      process.exit(0);
    `);
    const out = execFileSync(process.execPath, [script], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    rmSync(script, { force: true });
    expect(out.trim()).toBe("SAYS AppMaster's disk is full, so the change was not made");
  } finally {
    execFileSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});
