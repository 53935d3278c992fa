import { Command, Flags } from "@oclif/core";
import { statfsSync, mkdirSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { resolve } from "node:path";
import { InvalidError } from "../src/core/errors.ts";
import { parseDuration, parseSize } from "../src/core/units.ts";
import { startAgent } from "../src/agent/server.ts";
import { parseNamespaces } from "../src/agent/launch.ts";
import { parseVolumeFlag } from "../src/agent/volumes.ts";
import { parseUidRange } from "../src/agent/task-uids.ts";
import { advertiseOf, parseListen, roleLog, runUntilStopped } from "./roles.ts";
import { durationFlag, sizeFlag } from "./flags.ts";
import { fatal } from "./base.ts";

export default class Agent extends Command {
  static override description = `Run the host daemon (Agent): heartbeats to ResMan and runs containers (cgroups, namespaces, workspaces) for the caps it is given. Resources default to what the host has.`;
  static override examples = [
    "<%= config.bin %> agent --data-dir /var/lib/galaxy/agent --cluster-dir /shared/galaxy --pool default",
    "<%= config.bin %> agent --data-dir ./a1 --resman 10.0.0.1:1645,10.0.0.2:1645 --secret $(cat secret) --cpu 8 --memory 16G --label ssd",
    "<%= config.bin %> agent --data-dir /var/lib/galaxy/agent --cluster-dir /shared/galaxy --volume disk:/home/d1:500G --volume ssd:/ssd0:200G",
    "<%= config.bin %> agent --data-dir ./a1 --cluster-dir ./c --namespaces mount,uts,pid --gc-delay 1h --disk-grace 1m",
  ];
  static override flags = {
    "data-dir": Flags.string({ description: "directory for the checkpoint and container workspaces", required: true }),
    "cluster-dir": Flags.string({ description: "cluster directory (leader files, secret)" }),
    resman: Flags.string({ description: "ResMan addresses HOST:PORT[,…]" }),
    appmaster: Flags.string({ description: "AppMaster addresses given to workers (default: leader file in --cluster-dir)" }),
    secret: Flags.string({ description: "cluster secret when there is no shared --cluster-dir (or GALAXY_SECRET)" }),
    pool: Flags.string({ description: "pool this agent joins", default: "default" }),
    label: Flags.string({ description: "a label of this agent (repeatable)", multiple: true, default: [] }),
    cpu: Flags.string({ description: "cores to offer (default: all)" }),
    memory: sizeFlag({ description: "memory to offer, e.g. 16G (default: all)" }),
    disk: sizeFlag({ description: "disk to offer for workspaces (default: free space of --data-dir)" }),
    "port-range": Flags.string({ description: "dynamic ports ResMan may allocate here", default: "20000-29999" }),
    listen: Flags.string({ description: "HOST:PORT or :PORT to serve on", default: ":1646" }),
    advertise: Flags.string({ description: "this agent's endpoint as others reach it (default: from --listen)" }),
    "stop-grace": durationFlag({ description: "time a worker gets to stop its tasks before its cgroup is killed (when the job names no stop_timeout)", default: parseDuration("10s"), defaultHelp: async () => "10s" }),
    volume: Flags.string({ description: "a storage device MEDIUM:PATH:SIZE, medium disk or ssd (repeatable)", multiple: true, default: [] }),
    "gc-delay": durationFlag({ description: "how long an ended container's workspace is kept, so galaxy logs can read it", default: parseDuration("10m"), defaultHelp: async () => "10m" }),
    "disk-grace": durationFlag({ description: "how long a container may stay over a volume's size before it is killed", default: parseDuration("30s"), defaultHelp: async () => "30s" }),
    namespaces: Flags.string({ description: "namespaces of each container when root: some of mount,uts,pid, or none (default: mount,uts,pid; or GALAXY_NAMESPACES)" }),
    "usage-interval": durationFlag({ description: "how often usage is sampled and the cpu and memory controllers run", default: parseDuration("2s"), defaultHelp: async () => "2s" }),
    hide: Flags.string({ description: "a directory of Galaxy's that containers must not see, besides --data-dir and --cluster-dir (repeatable)", multiple: true, default: [] }),
    "host-worker": Flags.boolean({ description: "one worker process serving every container of this host (the default, with namespaces); --no-host-worker (or GALAXY_HOST_WORKER=0): a worker per container, as before", allowNo: true }),
    "task-uids": Flags.string({ description: "uids (and gids) tasks run as, one per container, when root: FIRST-LAST", default: "100000-165535" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Agent);
    try {
      if (!flags["cluster-dir"] && !flags.resman) throw new InvalidError("give --cluster-dir or --resman");
      const listen = parseListen(flags.listen);
      const dataDir = resolve(flags["data-dir"]);
      mkdirSync(dataDir, { recursive: true });
      const [portMin, portMax] = parsePortRange(flags["port-range"]);
      const fs = statfsSync(dataDir);
      const handle = await startAgent({
        dataDir, clusterDir: flags["cluster-dir"] ? resolve(flags["cluster-dir"]) : undefined, hidden: flags.hide.map((d) => resolve(d)),
        resman: flags.resman?.split(",").filter(Boolean) ?? [], appmaster: flags.appmaster?.split(",").filter(Boolean) ?? [],
        secret: flags.secret ?? process.env.GALAXY_SECRET, ...listen, advertise: advertiseOf(listen, flags.advertise),
        pool: flags.pool, labels: flags.label,
        millicores: Math.round(Number(flags.cpu ?? availableParallelism()) * 1000),
        memory: flags.memory !== undefined ? parseSize(flags.memory) : totalmem(),
        disk: flags.disk !== undefined ? parseSize(flags.disk) : fs.bavail * fs.bsize,
        volumes: flags.volume.map(parseVolumeFlag), portMin, portMax, stopGraceMs: parseDuration(flags["stop-grace"]),
        gcDelayMs: parseDuration(flags["gc-delay"]), diskGraceMs: parseDuration(flags["disk-grace"]),
        namespaces: namespacesOf(flags.namespaces ?? process.env.GALAXY_NAMESPACES), taskUids: parseUidRange(flags["task-uids"]), hostWorker: flags["host-worker"] ?? process.env.GALAXY_HOST_WORKER !== "0", usageIntervalMs: Math.max(200, parseDuration(flags["usage-interval"])),
        log: roleLog,
      });
      await runUntilStopped(() => handle.stop());
    } catch (e) {
      fatal(`agent: ${(e as Error).message}`);
    }
  }
}

function namespacesOf(text: string | undefined): ReturnType<typeof parseNamespaces> | "auto" {
  return text === undefined || text === "" || text === "auto" ? "auto" : parseNamespaces(text);
}

function parsePortRange(s: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(s);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw new InvalidError(`--port-range ${JSON.stringify(s)} is not LOW-HIGH within 1-65535`);
  return [lo, hi];
}
