import { Command, Flags } from "@oclif/core";
import { startAppMaster } from "../src/appmaster/start.ts";
import { consoleRoutes } from "../src/console/server.ts";
import { parseDuration } from "../src/core/units.ts";
import { parseListen, roleLog, runUntilStopped } from "./roles.ts";
import { durationFlag } from "./flags.ts";
import { fatal } from "./base.ts";
import { reachableAdvertise, storage } from "./resman.ts";

export default class AppMaster extends Command {
  static override description = `Run the job manager (AppMaster). It stands by while another AppMaster leads (the lock in the cluster directory, or the leader key in etcd with --etcd).`;
  static override examples = [
    "<%= config.bin %> appmaster --etcd http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379 --advertise 10.0.0.1:1647",
    "<%= config.bin %> appmaster --data-dir /var/lib/galaxy/appmaster --cluster-dir /shared/galaxy",
    "<%= config.bin %> appmaster --data-dir ./am --cluster-dir ./cluster --listen 127.0.0.1:1647",
  ];
  static override flags = {
    "data-dir": Flags.string({ description: "LMDB directory for jobs (required without --etcd)" }),
    "cluster-dir": Flags.string({ description: "cluster directory (locks, leader files, secret, naming; required without --etcd; with it, seeds the secret)" }),
    etcd: Flags.string({ description: "etcd endpoints URL[,URL...]: jobs, election and naming in etcd, no shared filesystem", env: "GALAXY_ETCD" }),
    "etcd-prefix": Flags.string({ description: "key prefix in etcd", default: "/galaxy" }),
    listen: Flags.string({ description: "HOST:PORT or :PORT to serve on", default: ":1647" }),
    advertise: Flags.string({ description: "address others use to reach this AppMaster (default: from --listen)" }),
    resman: Flags.string({ description: "ResMan addresses HOST:PORT[,…] besides the leader file" }),
    "pod-lost-timeout": durationFlag({ description: "how long a pod whose agent went silent waits before it is replaced elsewhere", default: parseDuration("60s"), defaultHelp: async () => "60s" }),
    "blacklist-ttl": durationFlag({ description: "how long an agent where a pod failed or stalled stays on the job's blacklist", default: parseDuration("5m"), defaultHelp: async () => "5m" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AppMaster);
    try {
      const listen = parseListen(flags.listen);
      const handle = await startAppMaster({
        ...storage(flags), ...listen,
        advertise: await reachableAdvertise(listen, flags.advertise, flags.etcd), resman: flags.resman?.split(",").filter(Boolean) ?? [], log: roleLog,
        core: { podLostTimeout: parseDuration(flags["pod-lost-timeout"]), blacklistTtl: parseDuration(flags["blacklist-ttl"]) },
      }, consoleRoutes); // the web console at /ui
      await runUntilStopped(() => handle.stop(), handle.lost);
    } catch (e) {
      fatal(`appmaster: ${(e as Error).message}`);
    }
  }
}
