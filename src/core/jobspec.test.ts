import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { InvalidError } from "./errors.ts";
import {
  formatProblem, type JobSpec, JobSpecError, jobSpecToYaml, parseJobFile, podResources, type TaskSpec, validateJobSpec, NO_IO,
} from "./jobspec.ts";

const JOBS = join(import.meta.dir, "../../testdata/jobs");
const K = 1024;
const M = K * K;
const G = K * M;

function load(name: string): JobSpec {
  return parseJobFile(readFileSync(join(JOBS, name), "utf8"), name);
}

/** The problem lines of a bad file (the JobSpecError's message, split). */
function problemsOf(name: string): string[] {
  try {
    load(name);
  } catch (e) {
    expect(e).toBeInstanceOf(JobSpecError);
    expect(e).toBeInstanceOf(InvalidError);
    expect((e as JobSpecError).code).toBe("INVALID");
    expect((e as JobSpecError).file).toBe(name);
    const lines = (e as JobSpecError).message.split("\n");
    expect((e as JobSpecError).problems.length).toBe(lines.length);
    return lines;
  }
  throw new Error(`${name} parsed without problems`);
}

const DEPLOY_DEFAULTS = {
  step: 1, interval: 0, maxPerHost: 0, antiAffinity: [], labels: [], spread: false, score: "" as const, profile: null, updateBreak: 0, deployTimeout: 300_000,
  stopTimeout: 30_000, restart: { attempts: 10, delay: 1000, maxDelay: 60_000 },
};
const WORKSPACE_DEFAULT = { size: G, medium: "disk" as const };

function task(t: Partial<TaskSpec> & Pick<TaskSpec, "name" | "start">): TaskSpec {
  return {
    cpu: { millicores: 100, excess: false }, memory: { size: 64 * M, excess: false }, io: NO_IO, ports: [], stop: "", services: [], ...t,
  };
}

const HELLO_START =
  `exec node -e "require('http').createServer((q,s)=>s.end('hello from '+process.env.GALAXY_POD_ID+'\\n'))` +
  `.listen(+process.env.GALAXY_PORT_HTTP,()=>console.log('listening on '+process.env.GALAXY_PORT_HTTP))"`;

const GOOD: Record<string, JobSpec> = {
  "hello.yaml": {
    name: "hello",
    type: "service",
    deploy: { ...DEPLOY_DEFAULTS, replica: 3, pools: ["default"] },
    pod: {
      workspace: WORKSPACE_DEFAULT,
      volumes: [],
      tasks: [
        task({
          name: "web", ports: [{ name: "http", port: 0 }], start: HELLO_START, health: { port: "http" },
          services: [{ name: "web", port: "http" }],
        }),
      ],
    },
  },
  "batch.yaml": {
    name: "batch",
    type: "batch",
    deploy: { ...DEPLOY_DEFAULTS, replica: 4, pools: ["default"] },
    pod: {
      workspace: WORKSPACE_DEFAULT,
      volumes: [],
      tasks: [task({ name: "work", cpu: { millicores: 50, excess: false }, memory: { size: 32 * M, excess: false }, start: "echo done; exit 0" })],
    },
  },
  "full.yaml": {
    name: "web",
    type: "monitor",
    deploy: {
      replica: 3, step: 2, interval: 10_000, maxPerHost: 1, antiAffinity: [{ job: "db", maxPerHost: 1 }, { job: "cache", maxPerHost: 0 }], pools: ["default", "edge"], labels: ["ssd"], spread: true, score: "spread" as const, profile: { cpu: [0.25, 0.5, 1, 0.5], memory: [1, 1, 0.5, 1] },
      updateBreak: 1, deployTimeout: 120_000, stopTimeout: 90_000, restart: { attempts: 5, delay: 500, maxDelay: 120_000 },
    },
    pod: {
      workspace: { size: 2 * G, medium: "ssd" },
      volumes: [
        { path: "/data", size: 10 * G, medium: "ssd", exclusive: true, readonly: false, persistent: true, sticky: true, retention: 86_400_000 },
        { path: "/cache", size: 256 * M, medium: "tmpfs", exclusive: false, readonly: false, persistent: false, sticky: false, retention: 0 },
        { path: "/archive", size: 1.5 * K * G, medium: "disk", exclusive: false, readonly: true, persistent: false, sticky: false, retention: 0 },
      ],
      tasks: [
        task({
          name: "main",
          cpu: { millicores: 500, excess: true },
          memory: { size: 256 * M, excess: true },
          io: { weight: 500, readBps: 50 * M, writeBps: 20 * M, readIops: 1000, writeIops: 500 },
          ports: [{ name: "http", port: 0 }, { name: "admin-ui", port: 8080 }],
          package: { source: "file:///srv/pkg/web-1.2.tar.gz", version: "1.2", dest: "app" },
          start: "exec python3 -m http.server $GALAXY_PORT_HTTP",
          stop: "kill -TERM $(cat app.pid)",
          health: { port: "http" },
          data: { reload: "kill -HUP $(cat app.pid)", packages: [{ source: "file:///srv/dict-7.tar.gz", version: "7", dest: "dict" }] },
          services: [{ name: "web", port: "http" }, { name: "web-admin", port: "admin-ui" }],
        }),
        task({
          name: "sidecar",
          package: { source: "https://example.com/sidecar-3.tar.gz", version: "3", dest: "." },
          start: "exec ./sidecar",
          health: { cmd: "curl -fs localhost:$GALAXY_PORT_HTTP/ok" },
        }),
      ],
    },
  },
  "web.json": {
    name: "web",
    type: "service",
    deploy: { ...DEPLOY_DEFAULTS, replica: 2, maxPerHost: 1, pools: ["default"], stopTimeout: 10_000 },
    pod: {
      workspace: WORKSPACE_DEFAULT,
      volumes: [{ path: "/cache", size: 128 * M, medium: "tmpfs", exclusive: false, readonly: false, persistent: false, sticky: false, retention: 0 }],
      tasks: [
        task({
          name: "main", cpu: { millicores: 250, excess: false }, memory: { size: 128 * M, excess: false },
          ports: [{ name: "http", port: 8080 }], start: "exec python3 -m http.server $GALAXY_PORT_HTTP",
          health: { cmd: "curl -fs localhost:$GALAXY_PORT_HTTP/" }, services: [{ name: "web", port: "http" }],
        }),
      ],
    },
  },
};

describe("good job files", () => {
  test.each(Object.keys(GOOD))("%s parses to the normalised spec", (name) => {
    expect(load(name)).toEqual(GOOD[name]!);
  });

  test.each(Object.keys(GOOD))("%s round-trips through jobSpecToYaml", (name) => {
    const spec = load(name);
    expect(parseJobFile(jobSpecToYaml(spec), "printed.yaml")).toEqual(spec);
  });

  test("the same job as JSON gives the same spec", () => {
    const raw = parseYaml(readFileSync(join(JOBS, "full.yaml"), "utf8"));
    expect(parseJobFile(JSON.stringify(raw, null, 2), "full.json")).toEqual(GOOD["full.yaml"]!);
    expect(parseJobFile(JSON.stringify(raw, null, "\t"))).toEqual(GOOD["full.yaml"]!);
    expect(parseJobFile(JSON.stringify(raw))).toEqual(GOOD["full.yaml"]!);
  });

  test("jobSpecToYaml writes the short forms of jobspec.md", () => {
    const text = jobSpecToYaml(load("hello.yaml"));
    expect(text).toContain("pools: [default]\n");
    expect(text).toContain("restart: {attempts: 10, delay: 1s, max_delay: 1m}\n");
    expect(text).toContain("- {name: http, port: dynamic}\n");
    expect(text).not.toContain("max_per_host"); // 0: no limit, left out
  });

  test("merge keys, empty values and a missing type take the defaults", () => {
    const text = [
      "name: x", "deploy: {replica: 1, pools: [a], labels: , restart: }", "pod:", "  tasks:",
      "    - &t {name: a, cpu: {millicores: 1}, memory: {size: 1K}, start: run, stop: }",
      "    - {<<: *t, name: b}",
    ].join("\n");
    const spec = parseJobFile(text);
    expect(spec.type).toBe("service");
    expect(spec.deploy.labels).toEqual([]);
    expect(spec.deploy.restart).toEqual(DEPLOY_DEFAULTS.restart);
    expect(spec.pod.tasks.map((t) => [t.name, t.start, t.stop, t.memory.size])).toEqual([["a", "run", "", 1024], ["b", "run", "", 1024]]);
  });
});

describe("round trip of any spec", () => {
  const weird = fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== "");
  test("commands, versions and sizes survive jobSpecToYaml", () => {
    fc.assert(
      fc.property(weird, fc.string({ maxLength: 20 }), fc.string({ maxLength: 10 }), fc.integer({ min: 1, max: 2 ** 40 }), fc.nat(10 ** 9),
        (start, stop, version, bytes, ms) => {
          const spec = structuredClone(GOOD["full.yaml"]!);
          const t = spec.pod.tasks[0]!;
          Object.assign(t, { start, stop, package: { ...t.package!, version } });
          t.memory.size = bytes;
          spec.deploy.interval = ms;
          expect(parseJobFile(jobSpecToYaml(spec))).toEqual(spec);
        }),
      { seed: 1234, numRuns: 200 },
    );
  }, 60_000); // cpu-bound property test: a loaded CI host needs more than bun's 5 s
});

const BAD: Record<string, string[]> = {
  "bad/size.yaml": ["bad/size.yaml:7 pod.tasks[0].memory.size: '256MB' is not a size; use 256M"],
  "bad/unknown-key.yaml": [
    "bad/unknown-key.yaml:5 deploy.maxPerHost: unknown key; did you mean max_per_host?",
    "bad/unknown-key.yaml:6 deploy.stpe: unknown key; did you mean step?",
    "bad/unknown-key.yaml:10 pod.tasks[0].cpu.milicores: unknown key; did you mean millicores?",
    "bad/unknown-key.yaml:13 pod.tasks[0].command: unknown key; expected one of name, cpu, memory, io, ports, package, start, stop, health, data, services",
  ],
  "bad/wrong-type.yaml": [
    "bad/wrong-type.yaml:3 deploy.replica: expected a whole number, got 'three'",
    "bad/wrong-type.yaml:4 deploy.pools: expected a list, got 'default'; use [default]",
    "bad/wrong-type.yaml:5 deploy.spread: expected true or false, got 'yes'",
    "bad/wrong-type.yaml:9 pod.tasks[0].cpu: expected a map, got 100",
    "bad/wrong-type.yaml:10 pod.tasks[0].memory.size: expected a size like 256M, got a list",
  ],
  "bad/missing.yaml": [
    "bad/missing.yaml name: required",
    "bad/missing.yaml:2 deploy.replica: required",
    "bad/missing.yaml:2 deploy.pools: required",
    "bad/missing.yaml:6 pod.tasks[0].name: required",
    "bad/missing.yaml:6 pod.tasks[0].cpu.millicores: required",
    "bad/missing.yaml:6 pod.tasks[0].start: required",
    "bad/missing.yaml:7 pod.tasks[0].memory.size: required",
  ],
  "bad/no-tasks.yaml": [
    "bad/no-tasks.yaml:2 deploy.pools: needs at least one entry",
    "bad/no-tasks.yaml:4 pod.tasks: needs at least one task",
  ],
  "bad/values.yaml": [
    "bad/values.yaml:1 name: 'Web_Server' is not a job name; use 1 to 32 lowercase letters, digits and dashes, not starting with a dash",
    "bad/values.yaml:2 type: 'services' is not a job type; did you mean service?",
    "bad/values.yaml:5 deploy.replica: must be in 0..100000, got 100001",
    "bad/values.yaml:6 deploy.step: must be at least 1, got 0",
    "bad/values.yaml:7 deploy.interval: '30sec' is not a duration; use 30s",
    "bad/values.yaml:8 deploy.stop_timeout: '5 minutes' is not a duration; use 5m",
    "bad/values.yaml:9 deploy.restart.max_delay: 5s is shorter than delay 10s",
    "bad/values.yaml:11 pod.workspace.size: must be more than 0",
    "bad/values.yaml:11 pod.workspace.medium: 'tmpfs' is not a workspace medium; use one of disk, ssd",
    "bad/values.yaml:14 pod.tasks[0].cpu.millicores: must be at least 1, got 0",
    "bad/values.yaml:15 pod.tasks[0].memory.size: '1.5GB' is not a size; use 1.5G",
    "bad/values.yaml:16 pod.tasks[0].start: must not be empty",
  ],
  "bad/ports.yaml": [
    "bad/ports.yaml:10 pod.tasks[0].ports[1].port: expected a port number 1..65535 or dynamic, got 70000",
    "bad/ports.yaml:10 pod.tasks[0].ports[1].name: port 'http' is declared twice in the pod",
    "bad/ports.yaml:11 pod.tasks[0].ports[2].name: 'Admin' is not a port name; use lowercase letters, digits, '-' and '_'",
    "bad/ports.yaml:11 pod.tasks[0].ports[2].port: expected a port number 1..65535 or dynamic, got 'random'",
    "bad/ports.yaml:14 pod.tasks[0].health.port: no port named 'htp'; did you mean http?",
    "bad/ports.yaml:15 pod.tasks[0].services[0].port: no port named 'metrics'; declared: http, admin-ui, admin_ui",
    "bad/ports.yaml:19 pod.tasks[1].ports[0].port: port 8080 is used twice in the pod",
    "bad/ports.yaml:19 pod.tasks[1].ports[0].name: 'admin_ui' and 'admin-ui' both set GALAXY_PORT_ADMIN_UI",
  ],
  "bad/volumes.yaml": [
    "bad/volumes.yaml:5 pod.volumes[0].path: 'data' is not an absolute path; use /data",
    "bad/volumes.yaml:6 pod.volumes[1].path: '/cache/' is not a clean path; use /cache",
    "bad/volumes.yaml:6 pod.volumes[1].exclusive: a tmpfs volume cannot be exclusive",
    "bad/volumes.yaml:7 pod.volumes[2].medium: 'nvme' is not a volume medium; use one of disk, ssd, tmpfs",
    "bad/volumes.yaml:8 pod.volumes[3].path: volume '/data' is declared twice",
    "bad/volumes.yaml:9 pod.volumes[4].size: required",
    "bad/volumes.yaml:9 pod.volumes[4].path: '/logs/../etc' must not contain ..",
  ],
  "bad/disks.yaml": [
    "bad/disks.yaml:5 pod.volumes[0].persistent: expected true or false, got 'yes'",
    "bad/disks.yaml:6 pod.volumes[1].persistent: a tmpfs volume cannot be persistent (it lives in memory); use medium disk or ssd",
    "bad/disks.yaml:7 pod.volumes[2].sticky: only a persistent volume can be sticky; add persistent: true",
    "bad/disks.yaml:7 pod.volumes[2].retention: only a persistent volume has a retention; add persistent: true",
    "bad/disks.yaml:8 pod.volumes[3].retention: 'soon' is not a duration; use a number with ms, s, m or h, e.g. 30s, 5m or 1h30m",
    "bad/disks.yaml:13 pod.tasks[0].io.burst: unknown key; expected one of weight, read_bps, write_bps, read_iops, write_iops",
    "bad/disks.yaml:13 pod.tasks[0].io.weight: must be in 100..1000, got 50",
    "bad/disks.yaml:13 pod.tasks[0].io.write_bps: '20mb' is not a size; use 20M",
    "bad/disks.yaml:13 pod.tasks[0].io.read_iops: must be at least 1, got 0",
  ],
  "bad/packages.yaml": [
    "bad/packages.yaml:8 pod.tasks[0].package.version: expected a string, got 1.2",
    "bad/packages.yaml:8 pod.tasks[0].package.source: 'ftp://example.com/web.tar.gz' is not a package source; use a file://, http:// or https:// URL",
    "bad/packages.yaml:8 pod.tasks[0].package.dest: '/opt/app' is not a path inside the workspace; use a relative path like app",
    "bad/packages.yaml:10 pod.tasks[0].health: needs port or cmd",
    "bad/packages.yaml:14 pod.tasks[0].data.packages[0].source: '/srv/dict.tar.gz' is not a URL; use file:///srv/dict.tar.gz",
    "bad/packages.yaml:14 pod.tasks[0].data.packages[0].dest: '../dict' is not a path inside the workspace; use a relative path like app",
    "bad/packages.yaml:15 pod.tasks[0].data.packages[1].source: required",
    "bad/packages.yaml:16 pod.tasks[1].name: task 'main' is declared twice",
    "bad/packages.yaml:20 pod.tasks[1].health: give port or cmd, not both",
    "bad/packages.yaml:20 pod.tasks[1].health.port: no port named 'x'; the pod declares no ports",
  ],
  "bad/syntax.yaml": [
    "bad/syntax.yaml:3 Nested mappings are not allowed in compact mappings",
    "bad/syntax.yaml:3 Implicit keys need to be on a single line",
    "bad/syntax.yaml:7 Flow sequence in block collection must be sufficiently indented and end with a ]",
  ],
  "bad/many.yaml": [
    "bad/many.yaml:3 type: 'servce' is not a job type; did you mean service?",
    "bad/many.yaml:5 deploy.replica: must be in 0..100000, got -1",
    "bad/many.yaml:7 deploy.labels[1]: 'ssd' is listed twice",
    "bad/many.yaml:9 pod.workspace.kind: unknown key; expected one of size, medium",
    "bad/many.yaml:12 pod.tasks[0].cpu.millicores: expected a whole number, got 1.5",
    "bad/many.yaml:13 pod.tasks[0].memory.size: '256mb' is not a size; use 256M",
    "bad/many.yaml:16 pod.tasks[0].services[0].port: no port named 'https'; did you mean http?",
    "bad/many.yaml:17 pod.tasks[1].name: task 'main' is declared twice",
    "bad/many.yaml:21 pod.tasks[1].stop_command: unknown key; expected one of name, cpu, memory, io, ports, package, start, stop, health, data, services",
  ],
  "bad/anti-affinity.yaml": [
    "bad/anti-affinity.yaml:5 deploy.anti_affinity[0].job: 'DB' is not a job name; use 1 to 32 lowercase letters, digits and dashes, not starting with a dash",
    "bad/anti-affinity.yaml:6 deploy.anti_affinity[1].max_per_host: must be in 0..100000, got -1",
    "bad/anti-affinity.yaml:7 deploy.anti_affinity[2].job: job 'cache' is named twice",
    "bad/anti-affinity.yaml:8 deploy.anti_affinity[3].maxPerHost: unknown key; did you mean max_per_host?",
    "bad/anti-affinity.yaml:8 deploy.anti_affinity[3].job: required",
    "bad/anti-affinity.yaml:11 deploy.score: load contradicts spread: true; remove one",
  ],
  "bad/score.yaml": ["bad/score.yaml:4 deploy.score: 'loud' is not a score; did you mean load?"],
  "bad/profile.yaml": [
    "bad/profile.yaml:5 deploy.profile.cpu: point 2 (1.5) is not a fraction of the request in (0, 1]",
    "bad/profile.yaml:6 deploy.profile.memory: wants a list of 1 to 288 fractions of the request, e.g. [0.3, 0.3, 1, 0.6]",
    "bad/profile.yaml:7 deploy.profile.disk: unknown key; expected one of cpu, memory",
  ],
  "bad/web.json": [
    "bad/web.json:4 deploy.replica: expected a whole number, got '2'",
    "bad/web.json:12 pod.tasks[0].memory.size: '128Mi' is not a size; use 128M",
    "bad/web.json:14 pod.tasks[0].helth: unknown key; did you mean health?",
  ],
};

describe("bad job files", () => {
  test.each(Object.keys(BAD))("%s gives exactly the expected problems", (name) => {
    expect(problemsOf(name)).toEqual(BAD[name]!);
  });

  test.each([
    ["", "empty.yaml", "empty.yaml the job file is empty"],
    ["# nothing\n", "empty.yaml", "empty.yaml the job file is empty"],
    ["- a\n- b\n", "list.yaml", "list.yaml expected a map with name, type, deploy, pod, got a list"],
    ["hello\n", "", "expected a map with name, type, deploy, pod, got 'hello'"],
    ["name: a\nname: b\n", "dup.yaml", "dup.yaml:2 Map keys must be unique"],
    ["name: *nope\n", "alias.yaml", "alias.yaml Unresolved alias (the anchor must be set before the alias): nope"],
  ])("%p is refused", (text, file, message) => {
    expect(() => parseJobFile(text, file)).toThrow(JobSpecError);
    expect(() => parseJobFile(text, file)).toThrow(message);
  });
});

describe("validateJobSpec on plain data", () => {
  const raw = parseYaml(readFileSync(join(JOBS, "hello.yaml"), "utf8"));

  test("a good object gives the spec and no problems", () => {
    expect(validateJobSpec(raw)).toEqual({ spec: GOOD["hello.yaml"]!, problems: [] });
  });

  test("problems carry paths, and lines only when a line map is given", () => {
    const bad = { ...raw, deploy: { ...raw.deploy, replica: "three" } };
    expect(validateJobSpec(bad)).toEqual({ problems: [{ path: "deploy.replica", message: "expected a whole number, got 'three'" }] });
    const lines = (p: string) => (p === "deploy" ? 4 : undefined);
    expect(validateJobSpec(bad, lines).problems).toEqual([{ path: "deploy.replica", line: 4, message: "expected a whole number, got 'three'" }]);
  });

  test("formatProblem without a file", () => {
    expect(formatProblem("", { path: "name", line: 3, message: "required" })).toBe("line 3 name: required");
    expect(formatProblem("", { path: "name", message: "required" })).toBe("name: required");
  });
});

describe("podResources", () => {
  test.each([
    ["hello.yaml", { millicores: 100, memory: 64 * M, disk: G, ssd: 0 }],
    ["batch.yaml", { millicores: 50, memory: 32 * M, disk: G, ssd: 0 }],
    // tasks 256M + 64M, tmpfs 256M; disk volume 1.5T; workspace (ssd) 2G + ssd volume 10G
    ["full.yaml", { millicores: 600, memory: 576 * M, disk: 1.5 * K * G, ssd: 12 * G }],
    ["web.json", { millicores: 250, memory: 256 * M, disk: G, ssd: 0 }],
  ])("%s", (name, want) => {
    expect(podResources(load(name))).toEqual(want);
  });
});

describe("deploy.profile", () => {
  const file = (profile: string) => `name: web\ndeploy: {replica: 1, pools: [default], profile: ${profile}}\npod:\n  tasks:\n    - {name: main, cpu: {millicores: 100}, memory: {size: 64M}, start: run}\n`;
  test("a curve left out is the request at every point; both curves must have as many points; an empty profile says what it needs", () => {
    expect(parseJobFile(file("{memory: [0.5, 1]}")).deploy.profile).toEqual({ cpu: [1, 1], memory: [0.5, 1] });
    expect(() => parseJobFile(file("{cpu: [1], memory: [0.5, 1]}"))).toThrow("deploy.profile.memory: has 2 points and cpu 1; give both the same number");
    expect(() => parseJobFile(file("{}"))).toThrow("deploy.profile: needs cpu or memory");
    expect(() => parseJobFile(file(`{cpu: [${Array(289).fill(1).join(",")}]}`))).toThrow("wants a list of 1 to 288");
  });
});
