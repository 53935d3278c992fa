// `galaxy up`: a whole cluster on this machine. ResMan, AppMaster and N agents run as supervised child processes
// of this executable; the client config is written so `galaxy submit` just works; stop() leaves nothing behind.
import { agentUidRange } from "../agent/task-uids.ts";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { writeConfigFile, type ClientConfig } from "../client/config.ts";
import { resmanClient } from "../client/connect.ts";
import { destroyAllContainers, removeGalaxyCgroupRoot } from "../agent/cleanup.ts";
import { selfCommand } from "../sys/self.ts";
import { lockUpDir } from "./dir-lock.ts";
import { Supervisor } from "./supervisor.ts";

export interface UpOptions {
  dir: string;
  agents: number;
  cpu: string;
  memory: string;
  /** ResMan listens here, AppMaster on port+2, agent i on port+10+i. */
  port: number;
  /** Agent i allocates dynamic ports from portsFrom + 1000*i, 1000 of them. */
  portsFrom: number;
  /** ResMan's agent timeout (e.g. "10s"). */
  agentTimeout?: string;
  /** How long each agent keeps the workspace (logs) of a container that ended (e.g. "10m"). */
  gcDelay?: string;
  /** Storage devices, MEDIUM:PATH:SIZE: agent i gets PATH/agent-i (or PATH with {i} replaced by i) as a device. */
  volumes?: string[];
  configPath?: string;
  /**
   * etcd endpoints: masters keep hard state and elect in etcd, two of each (leader and standby, ResMan also on
   * port+1, AppMaster also on port+3), each with its own data dir; agents get both addresses.
   */
  etcd?: string;
  echo: (name: string, line: string) => void;
}

export interface UpCluster {
  config: ClientConfig;
  supervisor: Supervisor;
  agentEndpoints: string[];
  stop(): Promise<void>;
}

function adminToken(dir: string): string {
  const file = join(dir, "admin-token");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, token + "\n", { mode: 0o600 });
  return token;
}

/** Throws ConflictError (and touches nothing) when another live `galaxy up` holds the directory. */
export function startUp(o: UpOptions): UpCluster {
  const dir = resolve(o.dir);
  const lock = lockUpDir(dir); // before anything else: a second `galaxy up` on DIR must not touch the first one's cluster
  const cluster = join(dir, "cluster");
  for (const d of [dir, cluster, join(dir, "logs")]) mkdirSync(d, { recursive: true });
  const token = adminToken(dir);
  const self = selfCommand();
  const sup = new Supervisor(o.echo);
  const rm = `127.0.0.1:${o.port}`;
  const am = `127.0.0.1:${o.port + 2}`;
  const log = (n: string) => join(dir, "logs", `${n}.log`);
  const etcd = o.etcd ? ["--etcd", o.etcd] : [];
  const rms = o.etcd ? [rm, `127.0.0.1:${o.port + 1}`] : [rm];
  const ams = o.etcd ? [am, `127.0.0.1:${o.port + 3}`] : [am];
  rms.forEach((addr, i) => sup.add({
    name: i ? "resman-b" : "resman", logFile: log(i ? "resman-b" : "resman"), env: { GALAXY_BOOTSTRAP_ADMIN_TOKEN: token },
    argv: [...self, "resman", "--data-dir", join(dir, i ? "resman-b" : "resman"), "--cluster-dir", cluster, ...etcd, "--listen", addr, "--recovery-window", "3s",
      ...(o.agentTimeout ? ["--agent-timeout", o.agentTimeout] : [])],
  }));
  ams.forEach((addr, i) => sup.add({
    name: i ? "appmaster-b" : "appmaster", logFile: log(i ? "appmaster-b" : "appmaster"),
    argv: [...self, "appmaster", "--data-dir", join(dir, i ? "appmaster-b" : "appmaster"), "--cluster-dir", cluster, ...etcd, "--listen", addr,
      ...(o.etcd ? ["--resman", rms.join(",")] : [])],
  }));
  const agentEndpoints: string[] = [];
  for (let i = 0; i < o.agents; i++) {
    const endpoint = `127.0.0.1:${o.port + 10 + i}`;
    const lo = o.portsFrom + 1000 * i;
    agentEndpoints.push(endpoint);
    sup.add({
      name: `agent-${i}`, logFile: log(`agent-${i}`),
      argv: [...self, "agent", "--data-dir", join(dir, `agent-${i}`), "--cluster-dir", cluster, "--listen", endpoint,
        ...(o.etcd ? ["--resman", rms.join(","), "--appmaster", ams.join(",")] : []),
        "--pool", "default", "--cpu", o.cpu, "--memory", o.memory, "--port-range", `${lo}-${lo + 999}`, "--stop-grace", "5s",
        "--task-uids", agentUidRange(o.port + 10 + i), "--hide", dir,
        ...(o.gcDelay ? ["--gc-delay", o.gcDelay] : []),
        ...(o.volumes ?? []).flatMap((v) => ["--volume", agentVolume(v, i)])],
    });
  }
  const config: ClientConfig = { appmaster: ams, resman: rms, clusterDir: cluster, user: "admin", token };
  writeConfigFile(config, o.configPath);
  return {
    config,
    supervisor: sup,
    agentEndpoints,
    async stop() {
      await sup.stopAll(10_000);
      for (let i = 0; i < agentEndpoints.length; i++) await destroyAllContainers(join(dir, `agent-${i}`), agentEndpoints[i]!);
      await removeGalaxyCgroupRoot();
      lock.release();
    },
  };
}

/** Waits until ResMan answers with every agent alive and an AppMaster leader; calls progress on each change. */
export async function waitReady(c: UpCluster, agents: number, timeoutMs: number, progress: (msg: string) => void): Promise<boolean> {
  const client = resmanClient(c.config);
  const end = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < end) {
    try {
      const s = await client.call("ResMan/Status", {}, { timeoutMs: 2000 });
      const am = s.masters.some((m) => m.role === "appmaster");
      const msg = `${s.agentsAlive}/${agents} agents alive${am ? ", appmaster elected" : ""}`;
      if (msg !== last) progress(msg);
      last = msg;
      if (s.agentsAlive >= agents && am) return true;
    } catch (e) {
      const msg = `waiting for resman (${(e as Error).message})`;
      if (msg !== last) progress(msg);
      last = msg;
    }
    await Bun.sleep(200);
  }
  return false;
}

/** "disk:/srv/d1:20G" for agent 2 -> "disk:/srv/d1/agent-2:20G"; "disk:/srv/{i}/d1:20G" -> "disk:/srv/2/d1:20G". */
export function agentVolume(flag: string, i: number): string {
  const first = flag.indexOf(":");
  const last = flag.lastIndexOf(":");
  if (first < 0 || last === first) return flag; // the agent refuses it with the usage
  const path = flag.slice(first + 1, last);
  const mine = path.includes("{i}") ? path.replaceAll("{i}", String(i)) : `${path}/agent-${i}`;
  return `${flag.slice(0, first)}:${mine}${flag.slice(last)}`;
}
