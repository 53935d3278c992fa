// A `galaxy up` cluster as a benchmark's child process: a temp HOME (so its client config is the bench's own), free
// ports for ResMan, AppMaster and each agent, ready when it says "Galaxy is up"; stop() sends SIGINT (Ctrl-C: every
// container is removed), waits, and deletes the temp dir. Ctrl-C of the bench stops it too.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, onInterrupt, waitUntil } from "./procs.ts";

export interface UpConfig {
  appmaster: string[];
  resman: string[];
  user: string;
  token: string;
}

export interface UpProcess {
  pid: number;
  dir: string;
  /** the environment a client run against this cluster needs */
  env: Record<string, string>;
  config: UpConfig;
  stop(): Promise<void>;
}

export async function startUpProcess(o: { galaxy: string[]; name: string; agents: number; args?: string[]; stopTimeoutMs?: number }): Promise<UpProcess> {
  const dir = mkdtempSync(join(tmpdir(), `galaxy-bench-${o.name}-`));
  const env: Record<string, string> = { ...(process.env as Record<string, string>), HOME: dir, NO_COLOR: "1", GALAXY_CONFIG: join(dir, "config") };
  for (const k of ["GALAXY_APPMASTER", "GALAXY_RESMAN", "GALAXY_CLUSTER_DIR", "GALAXY_USER", "GALAXY_TOKEN"]) delete env[k];
  const port = await freePorts([0, 2, ...Array.from({ length: o.agents }, (_, i) => 10 + i)]);
  const up = Bun.spawn([...o.galaxy, "up", "--dir", join(dir, "g"), "--agents", String(o.agents), "--port", String(port),
    "--ports-from", String(31000 + (port % 20) * 1000), "--quiet", ...(o.args ?? [])], { env, stdin: "ignore", stdout: "pipe", stderr: Bun.file(join(dir, "up.err")) });
  const stop = async () => {
    untrap();
    up.kill("SIGINT");
    const t = setTimeout(() => up.kill("SIGKILL"), o.stopTimeoutMs ?? 30_000);
    await up.exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
  };
  const untrap = onInterrupt(stop);
  try {
    const out = collect(up.stdout);
    await waitUntil("galaxy up to be ready", () => out.text.includes("Galaxy is up"), 120_000, 100);
    return { pid: up.pid, dir, env, config: JSON.parse(readFileSync(env.GALAXY_CONFIG!, "utf8")) as UpConfig, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function collect(stream: ReadableStream<Uint8Array>): { text: string } {
  const acc = { text: "" };
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of stream) acc.text += dec.decode(chunk, { stream: true });
  })();
  return acc;
}
