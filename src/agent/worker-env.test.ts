import { expect, test } from "bun:test";
import { NoneDriver } from "./cgroup/index.ts";
import type { ContainerCheckpoint } from "./core.ts";
import { capOf } from "./test-fixtures.ts";
import { workerEnvOf } from "./worker-env.ts";

const cp = { id: "web.0", cap: capOf("web.0"), cgroup: "galaxy/a/web.0", workspace: "/d/containers/web.0", namespaces: ["mount", "uts", "pid"], taskUid: 100007 } as ContainerCheckpoint;
const ctx = {
  endpoint: "127.0.0.1:1646", driver: new NoneDriver({ reason: "test" }), layout: { dataDir: "/d", agentKey: "a", devices: [], clusterDir: "/c" },
  workerEnv: { GALAXY_CLUSTER_DIR: "/c" }, podToken: (id: string) => `token-${id}`, dropPrivileges: true, procs: ["/p"],
};

test("a worker inside the container's namespaces reads Galaxy's hidden paths through fds; the host worker by their real paths", () => {
  const inside = workerEnvOf(cp, { ...ctx, host: false });
  expect(inside).toMatchObject({ GALAXY_CLUSTER_DIR: "/proc/self/fd/8", GALAXY_HOST_ROOT: "/proc/self/fd/7", GALAXY_HOST_PROC: "/proc/self/fd/9" });
  const host = workerEnvOf(cp, { ...ctx, host: true });
  expect(host.GALAXY_CLUSTER_DIR).toBe("/c");
  expect(host.GALAXY_HOST_ROOT).toBeUndefined();
  expect(host.GALAXY_HOST_PROC).toBeUndefined();
  // both: the pod's own token and the task identity
  for (const env of [inside, host]) {
    expect(env).toMatchObject({ GALAXY_POD_TOKEN: "token-web.0", GALAXY_TASK_UID: "100007", GALAXY_TASK_DROP: "1", GALAXY_CONTAINER_ID: "web.0" });
  }
});
