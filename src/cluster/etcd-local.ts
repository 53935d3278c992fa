// Starts a real etcd (1 or 3 members, Debian's /usr/bin/etcd) on free ports of one local address (loopback unless
// told) in a temp dir: for tests and `galaxy bench failover --etcd`. Members run with --pre-vote=true and short raft
// timers; stop() kills them (SIGKILL) and removes the dir.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export const ETCD_BIN = process.env.GALAXY_ETCD_BIN ?? "/usr/bin/etcd";
/** Why etcd tests are skipped here, or null when they can run. */
export const etcdMissing: string | null = existsSync(ETCD_BIN) ? null : `${ETCD_BIN} is missing (apt-get install etcd-server)`;

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  proc: Subprocess | null;
}

export interface EtcdCluster {
  readonly dir: string;
  readonly members: EtcdMember[];
  /** The client URLs, comma separated (what --etcd takes). */
  readonly endpoints: string;
  kill(i: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A free loopback port below the kernel's ephemeral range (32768+), where an outgoing connection of another test
 * cannot take it between this check and etcd's bind; 13000-20999 stays clear of the e2e harness's ranges.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (;;) {
    const port = 13000 + Math.floor(Math.random() * 8000);
    if (await portFree(port, host)) return port;
  }
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export interface StartEtcdOptions {
  /** The local address members listen on (default 127.0.0.1; e.g. a bridge's address other namespaces reach). */
  host?: string;
}

/** Starts etcd; a member that exits at once (its port taken meanwhile) makes it try again on other ports. */
export async function startEtcd(size: 1 | 3 = 1, o: StartEtcdOptions = {}): Promise<EtcdCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEtcdOnce(size, o.host ?? "127.0.0.1");
    } catch (e) {
      if (attempt >= 3 || !String((e as Error).message).includes("exited")) throw e;
    }
  }
}

async function startEtcdOnce(size: 1 | 3, host: string): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-etcd-"));
  const members: EtcdMember[] = [];
  for (let i = 0; i < size; i++) {
    members.push({ name: `m${i}`, clientUrl: `http://${host}:${await freePort(host)}`, peerUrl: `http://${host}:${await freePort(host)}`, proc: null });
  }
  const initial = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
  for (const m of members) {
    m.proc = Bun.spawn(
      [
        ETCD_BIN,
        `--name=${m.name}`,
        `--data-dir=${join(dir, m.name)}`,
        `--listen-client-urls=${m.clientUrl}`,
        `--advertise-client-urls=${m.clientUrl}`,
        `--listen-peer-urls=${m.peerUrl}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
        `--initial-cluster=${initial}`,
        `--initial-cluster-token=${dir}`,
        "--initial-cluster-state=new",
        "--pre-vote=true",
        "--heartbeat-interval=50",
        "--election-timeout=500",
        "--log-level=error",
        "--logger=zap",
      ],
      { stdout: "ignore", stderr: Bun.file(join(dir, `${m.name}.log`)) },
    );
  }
  const cluster: EtcdCluster = {
    dir,
    members,
    endpoints: members.map((m) => m.clientUrl).join(","),
    async kill(i) {
      const p = members[i]!.proc;
      members[i]!.proc = null;
      if (p) {
        p.kill("SIGKILL");
        await p.exited;
      }
    },
    async stop() {
      for (let i = 0; i < members.length; i++) await cluster.kill(i);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitHealthy(members, dir);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

/** Waits until every member answers /health with a leader (a put would then succeed). */
async function waitHealthy(members: EtcdMember[], dir: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    const ok = await Promise.all(
      members.map(async (m) => {
        try {
          const r = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
          return ((await r.json()) as { health?: string }).health === "true";
        } catch {
          return false;
        }
      }),
    );
    if (ok.every(Boolean)) return;
    if (members.some((m) => m.proc?.exitCode != null)) throw new Error(`an etcd member exited; see ${dir}/*.log`);
    if (tries > 600) throw new Error(`etcd did not become healthy in 60 s; see ${dir}/*.log`);
    await Bun.sleep(100);
  }
}
