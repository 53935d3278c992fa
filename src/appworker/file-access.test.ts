import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync, chownSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bitsFor, readRefusal, statOf, type ModeOwner } from "./file-access.ts";
import { preparePackage } from "./packages.ts";

const dir = (mode: number, uid = 0, gid = 0): ModeOwner => ({ mode, uid, gid, isDirectory: true });
const file = (mode: number, uid = 0, gid = 0): ModeOwner => ({ mode, uid, gid, isDirectory: false });

test("bitsFor: owner bits for the owner, group bits for the group, else the others'", () => {
  expect(bitsFor(file(0o640, 5, 6), 5, 9)).toBe(6);
  expect(bitsFor(file(0o640, 1, 6), 5, 6)).toBe(4);
  expect(bitsFor(file(0o640, 1, 2), 5, 6)).toBe(0);
  expect(bitsFor(file(0o604, 5, 6), 5, 6)).toBe(6); // the owner's bits even when the others' say more
});

test("readRefusal: x on every directory, r on the file, as the kernel judges a uid with no groups or capabilities", () => {
  const tree: Record<string, ModeOwner> = {
    "/srv": dir(0o755), "/srv/pkg": dir(0o755), "/srv/pkg/web.tar.gz": file(0o644),
    "/srv/pkg/secret.tar.gz": file(0o600), "/srv/pkg/mine.tar.gz": file(0o600, 100_000, 100_000),
    "/root": dir(0o700), "/root/key.tar.gz": file(0o644), "/srv/pkg/grp.tar.gz": file(0o640, 0, 100_000),
  };
  const stat = (p: string) => tree[p] ?? null;
  expect(readRefusal("/srv/pkg/web.tar.gz", 100_000, 100_000, stat)).toBeNull();
  expect(readRefusal("/srv/pkg/mine.tar.gz", 100_000, 100_000, stat)).toBeNull();
  expect(readRefusal("/srv/pkg/grp.tar.gz", 100_000, 100_000, stat)).toBeNull();
  expect(readRefusal("/srv/pkg/secret.tar.gz", 100_000, 100_000, stat)).toBe("the task's user (uid 100000) may not read /srv/pkg/secret.tar.gz");
  expect(readRefusal("/root/key.tar.gz", 100_000, 100_000, stat)).toBe("the task's user (uid 100000) may not enter /root");
  expect(readRefusal("/srv/nope.tar.gz", 100_000, 100_000, stat)).toBe("/srv/nope.tar.gz does not exist");
  expect(readRefusal("/srv/pkg", 100_000, 100_000, stat)).toBe("the task's user (uid 100000) may not read /srv/pkg");
  expect(readRefusal("/srv/pkg/web.tar.gz/x", 100_000, 100_000, stat)).toBe("/srv/pkg/web.tar.gz is not a directory");
});

test.skipIf(process.getuid?.() !== 0)("a file:// package the task's user may not read is refused at once, with the reason (root: real files)", async () => {
  const base = mkdtempSync(join(tmpdir(), "galaxy-file-access-"));
  try {
    chmodSync(base, 0o755);
    const src = join(base, "private.tar.gz");
    writeFileSync(src, Buffer.from([0x1f, 0x8b, 0, 0]));
    chmodSync(src, 0o600);
    const ws = join(base, "ws");
    mkdirSync(ws);
    const id = { uid: 100_123, gid: 100_123, procs: [], drop: true };
    const opts = { timeoutMs: 1000, attempts: 3, backoffMs: 10_000 };
    await expect(preparePackage(ws, { source: `file://${src}`, version: "1", dest: "app" }, opts, id)).rejects.toThrow(
      `cannot use file://${src}: the task's user (uid 100123) may not read ${src}`,
    );
    chownSync(src, 100_123, 100_123);
    expect(statOf(src)?.uid).toBe(100_123);
    expect(readRefusal(src, 100_123, 100_123, statOf)).toBeNull();
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
