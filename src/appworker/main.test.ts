import { expect, test } from "bun:test";
import { plainWorkerArgs } from "./main.ts";

test("the worker starts without the CLI framework only on its plain arguments; anything else goes through oclif", () => {
  expect(plainWorkerArgs([])).toEqual({});
  expect(plainWorkerArgs(["--host", "/var/lib/galaxy/agent/host-worker"])).toEqual({ host: "/var/lib/galaxy/agent/host-worker" });
  expect(plainWorkerArgs(["--host=/d"])).toEqual({ host: "/d" });
  for (const args of [["--help"], ["--host"], ["--host", "--help"], ["--host="], ["--host", "/d", "--extra"], ["-h"], ["x"]]) {
    expect(plainWorkerArgs(args)).toBeNull();
  }
});
