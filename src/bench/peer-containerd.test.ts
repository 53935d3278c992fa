import { expect, test } from "bun:test";
import { containerdConfig, containerdPeer, countTasks, lddPaths, parseTasks } from "./peer-containerd.ts";

test("containerd config: root, state and both sockets under the temp dir; CRI off; no debug or metrics listener", () => {
  const c = containerdConfig("/tmp/c");
  expect(c).toContain('root = "/tmp/c/root"\nstate = "/tmp/c/state"\n');
  expect(c).toContain('[grpc]\n  address = "/tmp/c/containerd.sock"\n[ttrpc]\n  address = "/tmp/c/containerd.sock.ttrpc"\n');
  expect(c).toContain('disabled_plugins = ["io.containerd.grpc.v1.cri"]');
  expect(c).toContain('[debug]\n  address = ""\n[metrics]\n  address = ""\n');
});

test("ldd: the files it names, not the vdso", () => {
  const out = "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n";
  expect(lddPaths(out)).toEqual(["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]);
});

test("ctr task ls: id -> status; counted per prefix", () => {
  const t = parseTasks("TASK      PID      STATUS    \nsvc-1     30546    RUNNING\nsvc-0     30498    CREATED\nbatch-0   30594    STOPPED\n");
  expect([...t]).toEqual([["svc-1", "RUNNING"], ["svc-0", "CREATED"], ["batch-0", "STOPPED"]]);
  expect(countTasks(t, "svc", "RUNNING")).toEqual({ count: 1, note: "1 running, 1 created" });
  expect(countTasks(t, "batch", "STOPPED")).toEqual({ count: 1, note: "1 stopped" });
  expect(countTasks(t, "x", "RUNNING")).toEqual({ count: 0, note: "none listed" });
});

const installed = Bun.which("containerd") && Bun.which("ctr") && process.getuid?.() === 0;
test.skipIf(!installed)("containerd peer (when installed, as root): 2 containers run, 3 one-second ones finish, nothing left behind", async () => {
  const f = await containerdPeer.run({ services: 2, batch: 3, idleSeconds: 1, log: () => {} });
  expect(f.services).toMatchObject({ pods: 2, done: true });
  expect(f.idle).toMatchObject({ containers: 2 });
  expect(f.idle!.pssPerContainer).toBeGreaterThan(0);
  expect(f.idle!.chargedPerPod).not.toBeNull();
  expect(f.batch).toMatchObject({ pods: 3, done: true });
  const left = Bun.spawnSync(["pgrep", "-f", "galaxy-bench-containerd-"]).stdout.toString().trim();
  expect(left).toBe("");
}, 120_000);

test.skipIf(!installed)("containerd peer that cannot start: one sentence on why, and its temp dir is gone", async () => {
  const { mkdtempSync, writeFileSync, readdirSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const bin = mkdtempSync(`${tmpdir()}/fake-containerd-`);
  writeFileSync(`${bin}/containerd`, "#!/bin/sh\necho 'containerd: no such config' >&2\nexit 3\n", { mode: 0o755 });
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  const before = readdirSync(tmpdir()).filter((n) => n.startsWith("galaxy-bench-containerd-"));
  try {
    await expect(containerdPeer.run({ services: 1, batch: 1, idleSeconds: 1, log: () => {} })).rejects.toThrow("containerd exited 3: containerd: no such config");
  } finally {
    process.env.PATH = path;
    rmSync(bin, { recursive: true, force: true });
  }
  expect(readdirSync(tmpdir()).filter((n) => n.startsWith("galaxy-bench-containerd-"))).toEqual(before);
}, 60_000);
