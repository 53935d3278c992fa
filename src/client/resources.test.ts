import { expect, test } from "bun:test";
import type { AgentStatus } from "../rpc/types.ts";
import { degradedIsolation } from "./resources.ts";

const agent = (endpoint: string, isolation: string) => ({ info: { endpoint, isolation } }) as unknown as AgentStatus;

test("galaxy agents names each agent whose isolation is degraded, and how; a fully isolated one is not named", () => {
  expect(degradedIsolation([
    agent("a:1", "cgroup-v1"),
    agent("b:1", "cgroup-v1; tasks run as root (no setpriv(1) on PATH)"),
    agent("c:1", "none"),
  ])).toEqual(["b:1: isolation cgroup-v1; tasks run as root (no setpriv(1) on PATH)"]);
});
