import { Command, Flags } from "@oclif/core";
import { lookup } from "node:dns/promises";
import { resolve } from "node:path";
import { formatDuration, parseDuration } from "../src/core/units.ts";
import { DEFAULT_CONFIG as D } from "../src/resman/state.ts";
import { DEFAULT_LOAD_TARGET } from "../src/scheduler/index.ts";
import { startResMan } from "../src/resman/start.ts";
import { rehearseTakeover } from "../src/resman/takeover-rehearsal.ts";
import { advertiseOf, parseListen, roleLog, runUntilStopped } from "./roles.ts";
import { durationFlag } from "./flags.ts";
import { fatal } from "./base.ts";
import { InvalidError } from "../src/core/errors.ts";

/** A number from 0 to 1 ("0.8"), or one clear sentence. */
export function parseFraction(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v < 0 || v > 1) throw new InvalidError(`${flag} ${JSON.stringify(text)}: want a number from 0 to 1, e.g. 0.8`);
  return v;
}

/**
 * With --etcd the masters are meant for several hosts: an address derived from this host's name that resolves to
 * loopback would send every other host to itself, so --advertise is then required. An explicit loopback --listen
 * (one machine, as `galaxy up` runs it) is taken as meant.
 */
export async function reachableAdvertise(
  listen: { host: string; port: number },
  flag: string | undefined,
  etcd: string | undefined,
  resolveHost: (host: string) => Promise<string> = (h) => lookup(h).then((r) => r.address),
): Promise<string> {
  const addr = advertiseOf(listen, flag);
  if (flag || !etcd || (listen.host !== "0.0.0.0" && listen.host !== "::")) return addr;
  const host = addr.slice(0, addr.lastIndexOf(":"));
  const ip = await resolveHost(host).catch(() => "");
  if (ip === "" || ip.startsWith("127.") || ip === "::1") {
    throw new InvalidError(`--advertise is required with --etcd: this host's name ${host} resolves to ${ip || "nothing"}, which other hosts cannot reach`);
  }
  return addr;
}

/** Where a master keeps hard state: --etcd, or --data-dir with --cluster-dir (src/cluster/backend.ts checks). */
export function storage(flags: { "data-dir"?: string; "cluster-dir"?: string; etcd?: string; "etcd-prefix"?: string }) {
  return {
    dataDir: flags["data-dir"] ? resolve(flags["data-dir"]) : undefined,
    clusterDir: flags["cluster-dir"] ? resolve(flags["cluster-dir"]) : undefined,
    etcd: flags.etcd || undefined,
    etcdPrefix: flags["etcd-prefix"],
  };
}

/** `--pool-load-target gpu=0.7` (repeatable) -> {gpu: 0.7}. */
export function parsePoolTargets(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new InvalidError(`--pool-load-target ${JSON.stringify(item)}: want POOL=FRACTION, e.g. gpu=0.7`);
    out[item.slice(0, eq)] = parseFraction("--pool-load-target", item.slice(eq + 1));
  }
  return out;
}

export default class ResMan extends Command {
  static override description = `Run the resource manager (ResMan). It stands by while another ResMan leads (the lock in the cluster directory, or the leader key in etcd with --etcd), and takes over when the leader dies.`;
  static override examples = [
    "<%= config.bin %> resman --etcd http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379 --advertise 10.0.0.1:1645",
    "<%= config.bin %> resman --data-dir /var/lib/galaxy/resman --cluster-dir /shared/galaxy",
    "<%= config.bin %> resman --data-dir ./rm --cluster-dir ./cluster --listen 127.0.0.1:1645 --auto-pool",
    "<%= config.bin %> resman --data-dir ./rm --cluster-dir ./cluster --safe-mode-fraction 0.5 --safe-mode-timeout 10s",
  ];
  static override flags = {
    "data-dir": Flags.string({ description: "LMDB directory for ResMan's hard state (required without --etcd)" }),
    "cluster-dir": Flags.string({ description: "cluster directory (locks, leader files, secret; required without --etcd; with it, seeds the secret)" }),
    etcd: Flags.string({ description: "etcd endpoints URL[,URL...]: hard state and election in etcd, no shared filesystem", env: "GALAXY_ETCD" }),
    "etcd-prefix": Flags.string({ description: "key prefix in etcd", default: "/galaxy" }),
    listen: Flags.string({ description: "HOST:PORT or :PORT to serve on", default: ":1645" }),
    advertise: Flags.string({ description: "address others use to reach this ResMan (default: from --listen)" }),
    "auto-pool": Flags.boolean({ description: "create a pool when an agent names one that does not exist" }),
    "agent-timeout": durationFlag({ description: "an agent silent this long is dead", default: D.agentTimeoutMs, defaultHelp: async () => formatDuration(D.agentTimeoutMs) }),
    "recovery-window": durationFlag({ description: "after taking over, how long to wait for agents' reports before scheduling", default: D.recoveryMs, defaultHelp: async () => formatDuration(D.recoveryMs) }),
    "heartbeat-interval": durationFlag({ description: "how often agents heartbeat", default: D.heartbeatIntervalMs, defaultHelp: async () => formatDuration(D.heartbeatIntervalMs) }),
    "safe-mode-fraction": Flags.string({ description: "after start, schedule nothing until this fraction (0-1) of known agents reported; 0 turns safe mode off", default: String(D.safeModeFraction) }),
    "safe-mode-timeout": durationFlag({ description: "leave safe mode after this long even if fewer agents reported", default: D.safeModeTimeoutMs, defaultHelp: async () => formatDuration(D.safeModeTimeoutMs) }),
    "load-target": Flags.string({ description: `the load score's cpu utilisation target (0-1) of every agent (default ${DEFAULT_LOAD_TARGET})` }),
    "pool-load-target": Flags.string({ description: "a pool's own load target, POOL=FRACTION (repeatable)", multiple: true }),
    "am-wait": durationFlag({ description: "after a failover, how long to wait for AppMaster's requests before scheduling anyway", default: D.amWaitMs, defaultHelp: async () => formatDuration(D.amWaitMs) }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ResMan);
    try {
      const listen = parseListen(flags.listen);
      const handle = await startResMan({
        ...storage(flags), ...listen,
        advertise: await reachableAdvertise(listen, flags.advertise, flags.etcd), log: roleLog, warmUp: rehearseTakeover,
        bootstrapAdminToken: process.env.GALAXY_BOOTSTRAP_ADMIN_TOKEN || undefined,
        config: {
          autoPool: flags["auto-pool"], agentTimeoutMs: parseDuration(flags["agent-timeout"]),
          recoveryMs: parseDuration(flags["recovery-window"]), heartbeatIntervalMs: parseDuration(flags["heartbeat-interval"]),
          safeModeFraction: parseFraction("--safe-mode-fraction", flags["safe-mode-fraction"]),
          safeModeTimeoutMs: parseDuration(flags["safe-mode-timeout"]), amWaitMs: parseDuration(flags["am-wait"]),
          ...(flags["load-target"] !== undefined ? { loadTarget: parseFraction("--load-target", flags["load-target"]) } : {}),
          poolLoadTargets: parsePoolTargets(flags["pool-load-target"] ?? []),
        },
      });
      await runUntilStopped(() => handle.stop(), handle.lost);
    } catch (e) {
      fatal(`resman: ${(e as Error).message}`);
    }
  }
}
