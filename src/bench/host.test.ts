import { expect, test } from "bun:test";
import { peersNote } from "./host.ts";

test("peers: a line each, saying how to install the one that is absent", () => {
  expect(peersNote(() => null)).toEqual([
    "peer containerd + runc: not installed (apt-get install -y containerd): skipped",
    "peer Slurm: not installed (apt-get install -y slurm-wlm): skipped",
  ]);
  expect(peersNote((t) => (t === "ctr" ? "/usr/bin/ctr" : null))[0]).toBe("peer containerd + runc: ctr is installed, but this bench does not drive it yet: skipped");
});
