import { Command, Flags } from "@oclif/core";
import { resolve } from "node:path";
import { startAppMaster } from "../src/appmaster/server.ts";
import { parseDuration } from "../src/core/units.ts";
import { advertiseOf, parseListen, roleLog, runUntilStopped } from "./roles.ts";
import { fatal } from "./base.ts";

export default class AppMaster extends Command {
  static override description = `Run the job manager (AppMaster). It stands by while another AppMaster holds the lock in the cluster directory.`;
  static override examples = [
    "<%= config.bin %> appmaster --data-dir /var/lib/galaxy/appmaster --cluster-dir /shared/galaxy",
    "<%= config.bin %> appmaster --data-dir ./am --cluster-dir ./cluster --listen 127.0.0.1:1647",
  ];
  static override flags = {
    "data-dir": Flags.string({ description: "LMDB directory for jobs", required: true }),
    "cluster-dir": Flags.string({ description: "cluster directory (locks, leader files, secret)", required: true }),
    listen: Flags.string({ description: "HOST:PORT or :PORT to serve on", default: ":1647" }),
    advertise: Flags.string({ description: "address others use to reach this AppMaster (default: from --listen)" }),
    resman: Flags.string({ description: "ResMan addresses HOST:PORT[,…] besides the leader file" }),
    "pod-lost-timeout": Flags.string({ description: "how long a pod whose agent went silent waits before it is replaced elsewhere", default: "60s" }),
    "blacklist-ttl": Flags.string({ description: "how long an agent where a pod failed or stalled stays on the job's blacklist", default: "5m" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AppMaster);
    try {
      const listen = parseListen(flags.listen);
      const handle = await startAppMaster({
        dataDir: resolve(flags["data-dir"]), clusterDir: resolve(flags["cluster-dir"]), ...listen,
        advertise: advertiseOf(listen, flags.advertise), resman: flags.resman?.split(",").filter(Boolean) ?? [], log: roleLog,
        core: { podLostTimeout: parseDuration(flags["pod-lost-timeout"]), blacklistTtl: parseDuration(flags["blacklist-ttl"]) },
      });
      await runUntilStopped(() => handle.stop(), handle.lost);
    } catch (e) {
      fatal(`appmaster: ${(e as Error).message}`);
    }
  }
}
